//! Which digests files.log carries, and their running state while a file streams past.
//!
//! Hashing is the largest single cost of inspection on traffic with HTTP bodies (MD5 alone
//! runs at a few hundred MB/s), so the set is configurable: all three by default, as Zeek's
//! `hash-all-files` policy does; fewer, or none, as Suricata's default (no file hashing) does.

use md5::Md5;
use sha1::Sha1;
use sha2::{Digest, Sha256};

/// The digests computed for every file (files.log `md5`, `sha1`, `sha256`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FileHashes {
    pub md5: bool,
    pub sha1: bool,
    pub sha256: bool,
}

impl Default for FileHashes {
    fn default() -> Self {
        FileHashes::ALL
    }
}

impl FileHashes {
    pub const ALL: FileHashes = FileHashes {
        md5: true,
        sha1: true,
        sha256: true,
    };
    pub const NONE: FileHashes = FileHashes {
        md5: false,
        sha1: false,
        sha256: false,
    };

    /// Parses a comma-separated list of `md5`, `sha1`, `sha256`, or `none` / `all`.
    pub fn parse(list: &str) -> Result<FileHashes, String> {
        let mut h = FileHashes::NONE;
        for item in list.split(',').map(str::trim).filter(|s| !s.is_empty()) {
            match item.to_ascii_lowercase().as_str() {
                "md5" => h.md5 = true,
                "sha1" => h.sha1 = true,
                "sha256" => h.sha256 = true,
                "all" => h = FileHashes::ALL,
                "none" => {}
                other => {
                    return Err(format!(
                        "unknown file hash {other:?} (expected md5, sha1, sha256, all or none)"
                    ))
                }
            }
        }
        Ok(h)
    }

    /// Zeek's analyzer names for the digests, in files.log's `analyzers` order.
    pub fn analyzers(self) -> Vec<&'static str> {
        [
            (self.md5, "MD5"),
            (self.sha1, "SHA1"),
            (self.sha256, "SHA256"),
        ]
        .into_iter()
        .filter_map(|(on, name)| on.then_some(name))
        .collect()
    }
}

/// Digests of one file in progress.
pub struct FileDigests {
    md5: Option<Md5>,
    sha1: Option<Sha1>,
    sha256: Option<Sha256>,
}

/// Finished digests, lower-case hex; `None` for a digest that was not configured.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FileDigestValues {
    pub md5: Option<String>,
    pub sha1: Option<String>,
    pub sha256: Option<String>,
}

impl FileDigests {
    pub fn new(which: FileHashes) -> Self {
        FileDigests {
            md5: which.md5.then(Md5::new),
            sha1: which.sha1.then(Sha1::new),
            sha256: which.sha256.then(Sha256::new),
        }
    }

    pub fn update(&mut self, bytes: &[u8]) {
        if let Some(h) = &mut self.md5 {
            h.update(bytes);
        }
        if let Some(h) = &mut self.sha1 {
            h.update(bytes);
        }
        if let Some(h) = &mut self.sha256 {
            h.update(bytes);
        }
    }

    pub fn finish(self) -> FileDigestValues {
        FileDigestValues {
            md5: self.md5.map(|h| crate::hex(&h.finalize())),
            sha1: self.sha1.map(|h| crate::hex(&h.finalize())),
            sha256: self.sha256.map(|h| crate::hex(&h.finalize())),
        }
    }

    /// The digests of a body held whole.
    pub fn of(which: FileHashes, content: &[u8]) -> FileDigestValues {
        let mut d = FileDigests::new(which);
        d.update(content);
        d.finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_lists_and_rejects_unknown_names() {
        assert_eq!(
            FileHashes::parse("md5,sha256").unwrap().analyzers(),
            ["MD5", "SHA256"]
        );
        assert_eq!(FileHashes::parse("none").unwrap(), FileHashes::NONE);
        assert_eq!(FileHashes::parse("ALL").unwrap(), FileHashes::ALL);
        assert!(FileHashes::parse("crc32").is_err());
    }

    #[test]
    fn digests_match_known_vectors_and_skip_unconfigured() {
        // RFC 1321 / FIPS 180 test vectors for "abc".
        let v = FileDigests::of(FileHashes::ALL, b"abc");
        assert_eq!(v.md5.as_deref(), Some("900150983cd24fb0d6963f7d28e17f72"));
        assert_eq!(
            v.sha1.as_deref(),
            Some("a9993e364706816aba3e25717850c26c9cd0d89d")
        );
        assert_eq!(
            v.sha256.as_deref(),
            Some("ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
        );
        let only = FileDigests::of(FileHashes::parse("sha1").unwrap(), b"abc");
        assert_eq!((only.md5, only.sha256), (None, None));
    }
}
