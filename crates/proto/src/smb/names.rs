//! Names of SMB commands, statuses and dialects, as Suricata writes them in its EVE `smb`
//! events (`SMB2_COMMAND_CREATE`, `STATUS_ACCESS_DENIED`, `2.10`, ...). The codes are those of
//! MS-SMB2 2.2.1 (commands, dialect revisions), MS-CIFS 2.2.2.1 (SMB1 commands), MS-ERREF 2.3
//! (NTSTATUS) and MS-CIFS 2.2.2.4 (SMB1 DOS error classes and codes).

/// An SMB2 command's name (`SMB2_COMMAND_` and the MS-SMB2 name, with Suricata's words for
/// negotiate, logoff, echo, query directory and query info).
pub fn smb2_command(c: u16) -> Option<&'static str> {
    Some(match c {
        0 => "SMB2_COMMAND_NEGOTIATE_PROTOCOL",
        1 => "SMB2_COMMAND_SESSION_SETUP",
        2 => "SMB2_COMMAND_SESSION_LOGOFF",
        3 => "SMB2_COMMAND_TREE_CONNECT",
        4 => "SMB2_COMMAND_TREE_DISCONNECT",
        5 => "SMB2_COMMAND_CREATE",
        6 => "SMB2_COMMAND_CLOSE",
        7 => "SMB2_COMMAND_FLUSH",
        8 => "SMB2_COMMAND_READ",
        9 => "SMB2_COMMAND_WRITE",
        10 => "SMB2_COMMAND_LOCK",
        11 => "SMB2_COMMAND_IOCTL",
        12 => "SMB2_COMMAND_CANCEL",
        13 => "SMB2_COMMAND_KEEPALIVE",
        14 => "SMB2_COMMAND_FIND",
        15 => "SMB2_COMMAND_CHANGE_NOTIFY",
        16 => "SMB2_COMMAND_GET_INFO",
        17 => "SMB2_COMMAND_SET_INFO",
        18 => "SMB2_COMMAND_OPLOCK_BREAK",
        _ => return None,
    })
}

/// An SMB1 command's name (`SMB1_COMMAND_` and the MS-CIFS `SMB_COM_` name).
pub fn smb1_command(c: u8) -> Option<&'static str> {
    Some(match c {
        0x00 => "SMB1_COMMAND_CREATE_DIRECTORY",
        0x01 => "SMB1_COMMAND_DELETE_DIRECTORY",
        0x02 => "SMB1_COMMAND_OPEN",
        0x03 => "SMB1_COMMAND_CREATE",
        0x04 => "SMB1_COMMAND_CLOSE",
        0x05 => "SMB1_COMMAND_FLUSH",
        0x06 => "SMB1_COMMAND_DELETE",
        0x07 => "SMB1_COMMAND_RENAME",
        0x08 => "SMB1_COMMAND_QUERY_INFORMATION",
        0x09 => "SMB1_COMMAND_SET_INFORMATION",
        0x0a => "SMB1_COMMAND_READ",
        0x0b => "SMB1_COMMAND_WRITE",
        0x0c => "SMB1_COMMAND_LOCK_BYTE_RANGE",
        0x0d => "SMB1_COMMAND_UNLOCK_BYTE_RANGE",
        0x10 => "SMB1_COMMAND_CHECK_DIRECTORY",
        0x12 => "SMB1_COMMAND_SEEK",
        0x1a => "SMB1_COMMAND_READ_RAW",
        0x24 => "SMB1_COMMAND_LOCKING_ANDX",
        0x25 => "SMB1_COMMAND_TRANS",
        0x26 => "SMB1_COMMAND_TRANS_SECONDARY",
        0x2b => "SMB1_COMMAND_ECHO",
        0x2d => "SMB1_COMMAND_OPEN_ANDX",
        0x2e => "SMB1_COMMAND_READ_ANDX",
        0x2f => "SMB1_COMMAND_WRITE_ANDX",
        0x32 => "SMB1_COMMAND_TRANS2",
        0x33 => "SMB1_COMMAND_TRANS2_SECONDARY",
        0x34 => "SMB1_COMMAND_FIND_CLOSE2",
        0x70 => "SMB1_COMMAND_TREE_CONNECT",
        0x71 => "SMB1_COMMAND_TREE_DISCONNECT",
        0x72 => "SMB1_COMMAND_NEGOTIATE_PROTOCOL",
        0x73 => "SMB1_COMMAND_SESSION_SETUP_ANDX",
        0x74 => "SMB1_COMMAND_LOGOFF_ANDX",
        0x75 => "SMB1_COMMAND_TREE_CONNECT_ANDX",
        0xa0 => "SMB1_COMMAND_NT_TRANS",
        0xa1 => "SMB1_COMMAND_NT_TRANS_SECONDARY",
        0xa2 => "SMB1_COMMAND_NT_CREATE_ANDX",
        0xa4 => "SMB1_COMMAND_NT_CANCEL",
        0xa5 => "SMB1_COMMAND_NT_RENAME",
        _ => return None,
    })
}

/// The name of an NTSTATUS value (MS-ERREF 2.3.1), for those SMB servers commonly return.
pub fn nt_status(s: u32) -> Option<&'static str> {
    Some(match s {
        0x0000_0000 => "STATUS_SUCCESS",
        0x0000_0103 => "STATUS_PENDING",
        0x0000_010b => "STATUS_NOTIFY_CLEANUP",
        0x0000_010c => "STATUS_NOTIFY_ENUM_DIR",
        0x8000_0005 => "STATUS_BUFFER_OVERFLOW",
        0x8000_0006 => "STATUS_NO_MORE_FILES",
        0x8000_001a => "STATUS_NO_MORE_ENTRIES",
        0xc000_0001 => "STATUS_UNSUCCESSFUL",
        0xc000_0002 => "STATUS_NOT_IMPLEMENTED",
        0xc000_0003 => "STATUS_INVALID_INFO_CLASS",
        0xc000_0008 => "STATUS_INVALID_HANDLE",
        0xc000_000d => "STATUS_INVALID_PARAMETER",
        0xc000_000e => "STATUS_NO_SUCH_DEVICE",
        0xc000_000f => "STATUS_NO_SUCH_FILE",
        0xc000_0010 => "STATUS_INVALID_DEVICE_REQUEST",
        0xc000_0011 => "STATUS_END_OF_FILE",
        0xc000_0016 => "STATUS_MORE_PROCESSING_REQUIRED",
        0xc000_0022 => "STATUS_ACCESS_DENIED",
        0xc000_0023 => "STATUS_BUFFER_TOO_SMALL",
        0xc000_0033 => "STATUS_OBJECT_NAME_INVALID",
        0xc000_0034 => "STATUS_OBJECT_NAME_NOT_FOUND",
        0xc000_0035 => "STATUS_OBJECT_NAME_COLLISION",
        0xc000_003a => "STATUS_OBJECT_PATH_NOT_FOUND",
        0xc000_0043 => "STATUS_SHARING_VIOLATION",
        0xc000_0054 => "STATUS_FILE_LOCK_CONFLICT",
        0xc000_0055 => "STATUS_LOCK_NOT_GRANTED",
        0xc000_0056 => "STATUS_DELETE_PENDING",
        0xc000_006a => "STATUS_WRONG_PASSWORD",
        0xc000_006d => "STATUS_LOGON_FAILURE",
        0xc000_006e => "STATUS_ACCOUNT_RESTRICTION",
        0xc000_0071 => "STATUS_PASSWORD_EXPIRED",
        0xc000_0072 => "STATUS_ACCOUNT_DISABLED",
        0xc000_00ba => "STATUS_FILE_IS_A_DIRECTORY",
        0xc000_00bb => "STATUS_NOT_SUPPORTED",
        0xc000_00b0 => "STATUS_PIPE_DISCONNECTED",
        0xc000_00b1 => "STATUS_PIPE_CLOSING",
        0xc000_00b5 => "STATUS_IO_TIMEOUT",
        0xc000_00c9 => "STATUS_NETWORK_NAME_DELETED",
        0xc000_00cc => "STATUS_BAD_NETWORK_NAME",
        0xc000_00d0 => "STATUS_REQUEST_NOT_ACCEPTED",
        0xc000_0101 => "STATUS_DIRECTORY_NOT_EMPTY",
        0xc000_0103 => "STATUS_NOT_A_DIRECTORY",
        0xc000_0120 => "STATUS_CANCELLED",
        0xc000_0128 => "STATUS_FILE_CLOSED",
        0xc000_014b => "STATUS_PIPE_BROKEN",
        0xc000_0184 => "STATUS_INVALID_DEVICE_STATE",
        0xc000_019c => "STATUS_FS_DRIVER_REQUIRED",
        0xc000_0203 => "STATUS_USER_SESSION_DELETED",
        0xc000_0225 => "STATUS_NOT_FOUND",
        0xc000_0257 => "STATUS_PATH_NOT_COVERED",
        0xc000_035c => "STATUS_NETWORK_SESSION_EXPIRED",
        _ => return None,
    })
}

/// The name of an SMB1 DOS error (MS-CIFS 2.2.2.4): the class (`DOS_` for ERRDOS, `SRV_` for
/// ERRSRV, `HRD_` for ERRHRD) and the code's name without its `ERR` prefix, upper-cased
/// (`SRV_BADUID`).
pub fn dos_error(class: u8, code: u16) -> Option<String> {
    let (prefix, name) = match (class, code) {
        (0x01, 1) => ("DOS", "BADFUNC"),
        (0x01, 2) => ("DOS", "BADFILE"),
        (0x01, 3) => ("DOS", "BADPATH"),
        (0x01, 4) => ("DOS", "NOFIDS"),
        (0x01, 5) => ("DOS", "NOACCESS"),
        (0x01, 6) => ("DOS", "BADFID"),
        (0x01, 8) => ("DOS", "NOMEM"),
        (0x01, 18) => ("DOS", "NOFILES"),
        (0x01, 32) => ("DOS", "BADSHARE"),
        (0x01, 80) => ("DOS", "FILEXISTS"),
        (0x01, 87) => ("DOS", "INVALIDPARAM"),
        (0x01, 230) => ("DOS", "BADPIPE"),
        (0x01, 232) => ("DOS", "NODATA"),
        (0x02, 1) => ("SRV", "ERROR"),
        (0x02, 2) => ("SRV", "BADPW"),
        (0x02, 4) => ("SRV", "ACCESS"),
        (0x02, 5) => ("SRV", "INVTID"),
        (0x02, 6) => ("SRV", "INVNETNAME"),
        (0x02, 7) => ("SRV", "INVDEVICE"),
        (0x02, 22) => ("SRV", "BADCMD"),
        (0x02, 91) => ("SRV", "BADUID"),
        (0x02, 250) => ("SRV", "USEMPX"),
        (0x02, 251) => ("SRV", "USESTD"),
        (0x02, 0xffff) => ("SRV", "NOSUPPORT"),
        (0x03, 19) => ("HRD", "NOWRITE"),
        (0x03, 31) => ("HRD", "GENERAL"),
        _ => return None,
    };
    Some(format!("{prefix}_{name}"))
}

/// An SMB2 dialect revision as text (`2.02`, `2.10`, `3.00`, `3.02`, `3.11`; `2.??` for the
/// wildcard revision 0x02FF).
pub fn smb2_dialect(d: u16) -> String {
    match d {
        0x02ff => "2.??".to_string(),
        _ => format!("{}.{:02x}", d >> 8, d & 0xff),
    }
}

/// A 16-byte id (SMB2 file id, server GUID) as Suricata writes it (`fuid`, `server_guid`):
/// groups of bytes 3..0, 5-4, 7-6, 9-8, and 11-10 with 15..12 (wire order as read little-endian
/// into `id`). Learnt from the create responses of suricata-verify's smb2-05/smb2-06/smb1-01
/// and their expected `fuid`s.
pub fn guid(id: u128) -> String {
    let b = id.to_le_bytes();
    format!(
        "{:02x}{:02x}{:02x}{:02x}-{:02x}{:02x}-{:02x}{:02x}-{:02x}{:02x}-{:02x}{:02x}{:02x}{:02x}{:02x}{:02x}",
        b[3], b[2], b[1], b[0], b[5], b[4], b[7], b[6], b[9], b[8], b[11], b[10], b[15], b[14],
        b[13], b[12]
    )
}

/// A create disposition (MS-SMB2 2.2.13 CreateDisposition, MS-CIFS NT_CREATE_ANDX).
pub fn disposition(d: u32) -> Option<&'static str> {
    Some(match d {
        0 => "FILE_SUPERSEDE",
        1 => "FILE_OPEN",
        2 => "FILE_CREATE",
        3 => "FILE_OPEN_IF",
        4 => "FILE_OVERWRITE",
        5 => "FILE_OVERWRITE_IF",
        _ => return None,
    })
}
