//! Interface UUIDs and operation numbers of the RPC interfaces netloupe names in dce_rpc.log.
//!
//! Written from the interface specifications (opnum tables of each protocol's "Message
//! Processing Events and Sequencing Rules" section): MS-SCMR (svcctl), MS-TSCH (atsvc,
//! ITaskSchedulerService, SASec), MS-DRSR (drsuapi), MS-SAMR, MS-LSAD/MS-LSAT (lsarpc), MS-RPRN
//! (spoolss), MS-NRPC (netlogon), MS-WKST (wkssvc), MS-SRVS (srvsvc), MS-RRP (winreg), MS-DSSP
//! (dssetup), MS-EFSR (efsrpc), MS-EVEN (eventlog), MS-DCOM (IRemoteSCMActivator,
//! IObjectExporter, IRemUnknown2), MS-WMI (IWbemLevel1Login, IWbemServices), MS-NSPI (nspi),
//! MS-OXCRPC (exchange_mapi) and C706 appendix O / MS-RPCE (epmapper, mgmt). Opnums the
//! specifications mark "not used on wire" are left unnamed. Names drop the `R`/`IDL_` prefixes
//! of MS-SCMR and MS-DRSR, as analysts know them from Zeek's logs (`CreateServiceW`,
//! `DRSGetNCChanges`).

/// An interface: its UUID (canonical lower-case text form), log name and operation names by
/// opnum (`""` for opnums without a name).
pub struct Interface {
    pub uuid: &'static str,
    pub name: &'static str,
    pub ops: &'static [&'static str],
}

/// DCOM interfaces begin with the three IUnknown methods (MS-DCOM 3.1.1.5.8), never called
/// remotely.
const IUNK: [&str; 3] = ["QueryInterface", "AddRef", "Release"];

macro_rules! dcom {
    ($($op:expr),* $(,)?) => {
        &[IUNK[0], IUNK[1], IUNK[2], $($op),*]
    };
}

pub static INTERFACES: &[Interface] = &[
    Interface {
        uuid: "367abb81-9844-35f1-ad32-98f038001003",
        name: "svcctl",
        ops: &[
            "CloseServiceHandle",         // 0
            "ControlService",             // 1
            "DeleteService",              // 2
            "LockServiceDatabase",        // 3
            "QueryServiceObjectSecurity", // 4
            "SetServiceObjectSecurity",   // 5
            "QueryServiceStatus",         // 6
            "SetServiceStatus",           // 7
            "UnlockServiceDatabase",      // 8
            "NotifyBootConfigStatus",     // 9
            "",                           // 10 not used on wire
            "ChangeServiceConfigW",       // 11
            "CreateServiceW",             // 12
            "EnumDependentServicesW",     // 13
            "EnumServicesStatusW",        // 14
            "OpenSCManagerW",             // 15
            "OpenServiceW",               // 16
            "QueryServiceConfigW",        // 17
            "QueryServiceLockStatusW",    // 18
            "StartServiceW",              // 19
            "GetServiceDisplayNameW",     // 20
            "GetServiceKeyNameW",         // 21
            "",                           // 22
            "ChangeServiceConfigA",       // 23
            "CreateServiceA",             // 24
            "EnumDependentServicesA",     // 25
            "EnumServicesStatusA",        // 26
            "OpenSCManagerA",             // 27
            "OpenServiceA",               // 28
            "QueryServiceConfigA",        // 29
            "QueryServiceLockStatusA",    // 30
            "StartServiceA",              // 31
            "GetServiceDisplayNameA",     // 32
            "GetServiceKeyNameA",         // 33
            "",                           // 34
            "EnumServiceGroupW",          // 35
            "ChangeServiceConfig2A",      // 36
            "ChangeServiceConfig2W",      // 37
            "QueryServiceConfig2A",       // 38
            "QueryServiceConfig2W",       // 39
            "QueryServiceStatusEx",       // 40
            "EnumServicesStatusExA",      // 41
            "EnumServicesStatusExW",      // 42
            "",                           // 43
            "CreateServiceWOW64A",        // 44
            "CreateServiceWOW64W",        // 45
            "",                           // 46
            "NotifyServiceStatusChange",  // 47
            "GetNotifyResults",           // 48
            "CloseNotifyHandle",          // 49
            "ControlServiceExA",          // 50
            "ControlServiceExW",          // 51
            "",                           // 52
            "",                           // 53
            "",                           // 54
            "",                           // 55
            "QueryServiceConfigEx",       // 56
            "",                           // 57
            "",                           // 58
            "",                           // 59
            "CreateWowService",           // 60
            "",                           // 61
            "",                           // 62
            "",                           // 63
            "OpenSCManager2",             // 64
        ],
    },
    Interface {
        uuid: "1ff70682-0a51-30e8-076d-740be8cee98b",
        name: "atsvc",
        ops: &["NetrJobAdd", "NetrJobDel", "NetrJobEnum", "NetrJobGetInfo"],
    },
    Interface {
        uuid: "86d35949-83c9-4044-b424-db363231fd0c",
        name: "ITaskSchedulerService",
        ops: &[
            "SchRpcHighestVersion",        // 0
            "SchRpcRegisterTask",          // 1
            "SchRpcRetrieveTask",          // 2
            "SchRpcCreateFolder",          // 3
            "SchRpcSetSecurity",           // 4
            "SchRpcGetSecurity",           // 5
            "SchRpcEnumFolders",           // 6
            "SchRpcEnumTasks",             // 7
            "SchRpcEnumInstances",         // 8
            "SchRpcGetInstanceInfo",       // 9
            "SchRpcStopInstance",          // 10
            "SchRpcStop",                  // 11
            "SchRpcRun",                   // 12
            "SchRpcDelete",                // 13
            "SchRpcRename",                // 14
            "SchRpcScheduledRuntimes",     // 15
            "SchRpcGetLastRunInfo",        // 16
            "SchRpcGetTaskInfo",           // 17
            "SchRpcGetNumberOfMissedRuns", // 18
            "SchRpcEnableTask",            // 19
        ],
    },
    Interface {
        uuid: "378e52b0-c0a9-11cf-822d-00aa0051e40f",
        name: "sasec",
        ops: &[
            "SASetAccountInformation",
            "SASetNSAccountInformation",
            "SAGetNSAccountInformation",
            "SAGetAccountInformation",
        ],
    },
    Interface {
        uuid: "e3514235-4b06-11d1-ab04-00c04fc2dcd2",
        name: "drsuapi",
        ops: &[
            "DRSBind",                 // 0
            "DRSUnbind",               // 1
            "DRSReplicaSync",          // 2
            "DRSGetNCChanges",         // 3
            "DRSUpdateRefs",           // 4
            "DRSReplicaAdd",           // 5
            "DRSReplicaDel",           // 6
            "DRSReplicaModify",        // 7
            "DRSVerifyNames",          // 8
            "DRSGetMemberships",       // 9
            "DRSInterDomainMove",      // 10
            "DRSGetNT4ChangeLog",      // 11
            "DRSCrackNames",           // 12
            "DRSWriteSPN",             // 13
            "DRSRemoveDsServer",       // 14
            "DRSRemoveDsDomain",       // 15
            "DRSDomainControllerInfo", // 16
            "DRSAddEntry",             // 17
            "DRSExecuteKCC",           // 18
            "DRSGetReplInfo",          // 19
            "DRSAddSidHistory",        // 20
            "DRSGetMemberships2",      // 21
            "DRSReplicaVerifyObjects", // 22
            "DRSGetObjectExistence",   // 23
            "DRSQuerySitesByCost",     // 24
            "DRSInitDemotion",         // 25
            "DRSReplicaDemotion",      // 26
            "DRSFinishDemotion",       // 27
            "DRSAddCloneDC",           // 28
            "DRSWriteNgcKey",          // 29
            "DRSReadNgcKey",           // 30
        ],
    },
    Interface {
        uuid: "12345778-1234-abcd-ef00-0123456789ac",
        name: "samr",
        ops: &[
            "SamrConnect",                          // 0
            "SamrCloseHandle",                      // 1
            "SamrSetSecurityObject",                // 2
            "SamrQuerySecurityObject",              // 3
            "",                                     // 4
            "SamrLookupDomainInSamServer",          // 5
            "SamrEnumerateDomainsInSamServer",      // 6
            "SamrOpenDomain",                       // 7
            "SamrQueryInformationDomain",           // 8
            "SamrSetInformationDomain",             // 9
            "SamrCreateGroupInDomain",              // 10
            "SamrEnumerateGroupsInDomain",          // 11
            "SamrCreateUserInDomain",               // 12
            "SamrEnumerateUsersInDomain",           // 13
            "SamrCreateAliasInDomain",              // 14
            "SamrEnumerateAliasesInDomain",         // 15
            "SamrGetAliasMembership",               // 16
            "SamrLookupNamesInDomain",              // 17
            "SamrLookupIdsInDomain",                // 18
            "SamrOpenGroup",                        // 19
            "SamrQueryInformationGroup",            // 20
            "SamrSetInformationGroup",              // 21
            "SamrAddMemberToGroup",                 // 22
            "SamrDeleteGroup",                      // 23
            "SamrRemoveMemberFromGroup",            // 24
            "SamrGetMembersInGroup",                // 25
            "SamrSetMemberAttributesOfGroup",       // 26
            "SamrOpenAlias",                        // 27
            "SamrQueryInformationAlias",            // 28
            "SamrSetInformationAlias",              // 29
            "SamrDeleteAlias",                      // 30
            "SamrAddMemberToAlias",                 // 31
            "SamrRemoveMemberFromAlias",            // 32
            "SamrGetMembersInAlias",                // 33
            "SamrOpenUser",                         // 34
            "SamrDeleteUser",                       // 35
            "SamrQueryInformationUser",             // 36
            "SamrSetInformationUser",               // 37
            "SamrChangePasswordUser",               // 38
            "SamrGetGroupsForUser",                 // 39
            "SamrQueryDisplayInformation",          // 40
            "SamrGetDisplayEnumerationIndex",       // 41
            "",                                     // 42
            "",                                     // 43
            "SamrGetUserDomainPasswordInformation", // 44
            "SamrRemoveMemberFromForeignDomain",    // 45
            "SamrQueryInformationDomain2",          // 46
            "SamrQueryInformationUser2",            // 47
            "SamrQueryDisplayInformation2",         // 48
            "SamrGetDisplayEnumerationIndex2",      // 49
            "SamrCreateUser2InDomain",              // 50
            "SamrQueryDisplayInformation3",         // 51
            "SamrAddMultipleMembersToAlias",        // 52
            "SamrRemoveMultipleMembersFromAlias",   // 53
            "SamrOemChangePasswordUser2",           // 54
            "SamrUnicodeChangePasswordUser2",       // 55
            "SamrGetDomainPasswordInformation",     // 56
            "SamrConnect2",                         // 57
            "SamrSetInformationUser2",              // 58
            "",                                     // 59
            "",                                     // 60
            "",                                     // 61
            "SamrConnect4",                         // 62
            "",                                     // 63
            "SamrConnect5",                         // 64
            "SamrRidToSid",                         // 65
            "SamrSetDSRMPassword",                  // 66
            "SamrValidatePassword",                 // 67
        ],
    },
    Interface {
        uuid: "12345778-1234-abcd-ef00-0123456789ab",
        name: "lsarpc",
        ops: &[
            "LsarClose",                          // 0
            "",                                   // 1
            "LsarEnumeratePrivileges",            // 2
            "LsarQuerySecurityObject",            // 3
            "LsarSetSecurityObject",              // 4
            "",                                   // 5
            "LsarOpenPolicy",                     // 6
            "LsarQueryInformationPolicy",         // 7
            "LsarSetInformationPolicy",           // 8
            "",                                   // 9
            "LsarCreateAccount",                  // 10
            "LsarEnumerateAccounts",              // 11
            "LsarCreateTrustedDomain",            // 12
            "LsarEnumerateTrustedDomains",        // 13
            "LsarLookupNames",                    // 14
            "LsarLookupSids",                     // 15
            "LsarCreateSecret",                   // 16
            "LsarOpenAccount",                    // 17
            "LsarEnumeratePrivilegesAccount",     // 18
            "LsarAddPrivilegesToAccount",         // 19
            "LsarRemovePrivilegesFromAccount",    // 20
            "",                                   // 21
            "",                                   // 22
            "LsarGetSystemAccessAccount",         // 23
            "LsarSetSystemAccessAccount",         // 24
            "LsarOpenTrustedDomain",              // 25
            "LsarQueryInfoTrustedDomain",         // 26
            "LsarSetInformationTrustedDomain",    // 27
            "LsarOpenSecret",                     // 28
            "LsarSetSecret",                      // 29
            "LsarQuerySecret",                    // 30
            "LsarLookupPrivilegeValue",           // 31
            "LsarLookupPrivilegeName",            // 32
            "LsarLookupPrivilegeDisplayName",     // 33
            "LsarDeleteObject",                   // 34
            "LsarEnumerateAccountsWithUserRight", // 35
            "LsarEnumerateAccountRights",         // 36
            "LsarAddAccountRights",               // 37
            "LsarRemoveAccountRights",            // 38
            "LsarQueryTrustedDomainInfo",         // 39
            "LsarSetTrustedDomainInfo",           // 40
            "LsarDeleteTrustedDomain",            // 41
            "LsarStorePrivateData",               // 42
            "LsarRetrievePrivateData",            // 43
            "LsarOpenPolicy2",                    // 44
            "LsarGetUserName",                    // 45
            "LsarQueryInformationPolicy2",        // 46
            "LsarSetInformationPolicy2",          // 47
            "LsarQueryTrustedDomainInfoByName",   // 48
            "LsarSetTrustedDomainInfoByName",     // 49
            "LsarEnumerateTrustedDomainsEx",      // 50
            "LsarCreateTrustedDomainEx",          // 51
            "",                                   // 52
            "LsarQueryDomainInformationPolicy",   // 53
            "LsarSetDomainInformationPolicy",     // 54
            "LsarOpenTrustedDomainByName",        // 55
            "",                                   // 56
            "LsarLookupSids2",                    // 57
            "LsarLookupNames2",                   // 58
            "LsarCreateTrustedDomainEx2",         // 59
            "",
            "",
            "",
            "",
            "",
            "",
            "",
            "",                 // 60-67
            "LsarLookupNames3", // 68
            "",
            "",
            "",
            "",                                // 69-72
            "LsarQueryForestTrustInformation", // 73
            "LsarSetForestTrustInformation",   // 74
            "",                                // 75
            "LsarLookupSids3",                 // 76
            "LsarLookupNames4",                // 77
        ],
    },
    Interface {
        uuid: "12345678-1234-abcd-ef00-0123456789ab",
        name: "spoolss",
        ops: &[
            "RpcEnumPrinters",                               // 0
            "RpcOpenPrinter",                                // 1
            "RpcSetJob",                                     // 2
            "RpcGetJob",                                     // 3
            "RpcEnumJobs",                                   // 4
            "RpcAddPrinter",                                 // 5
            "RpcDeletePrinter",                              // 6
            "RpcSetPrinter",                                 // 7
            "RpcGetPrinter",                                 // 8
            "RpcAddPrinterDriver",                           // 9
            "RpcEnumPrinterDrivers",                         // 10
            "RpcGetPrinterDriver",                           // 11
            "RpcGetPrinterDriverDirectory",                  // 12
            "RpcDeletePrinterDriver",                        // 13
            "RpcAddPrintProcessor",                          // 14
            "RpcEnumPrintProcessors",                        // 15
            "RpcGetPrintProcessorDirectory",                 // 16
            "RpcStartDocPrinter",                            // 17
            "RpcStartPagePrinter",                           // 18
            "RpcWritePrinter",                               // 19
            "RpcEndPagePrinter",                             // 20
            "RpcAbortPrinter",                               // 21
            "RpcReadPrinter",                                // 22
            "RpcEndDocPrinter",                              // 23
            "RpcAddJob",                                     // 24
            "RpcScheduleJob",                                // 25
            "RpcGetPrinterData",                             // 26
            "RpcSetPrinterData",                             // 27
            "RpcWaitForPrinterChange",                       // 28
            "RpcClosePrinter",                               // 29
            "RpcAddForm",                                    // 30
            "RpcDeleteForm",                                 // 31
            "RpcGetForm",                                    // 32
            "RpcSetForm",                                    // 33
            "RpcEnumForms",                                  // 34
            "RpcEnumPorts",                                  // 35
            "RpcEnumMonitors",                               // 36
            "",                                              // 37
            "",                                              // 38
            "RpcDeletePort",                                 // 39
            "RpcCreatePrinterIC",                            // 40
            "RpcPlayGdiScriptOnPrinterIC",                   // 41
            "RpcDeletePrinterIC",                            // 42
            "",                                              // 43
            "",                                              // 44
            "",                                              // 45
            "RpcAddMonitor",                                 // 46
            "RpcDeleteMonitor",                              // 47
            "RpcDeletePrintProcessor",                       // 48
            "",                                              // 49
            "",                                              // 50
            "RpcEnumPrintProcessorDatatypes",                // 51
            "RpcResetPrinter",                               // 52
            "RpcGetPrinterDriver2",                          // 53
            "",                                              // 54
            "",                                              // 55
            "RpcFindClosePrinterChangeNotification",         // 56
            "",                                              // 57
            "RpcReplyOpenPrinter",                           // 58
            "RpcRouterReplyPrinter",                         // 59
            "RpcReplyClosePrinter",                          // 60
            "RpcAddPortEx",                                  // 61
            "RpcRemoteFindFirstPrinterChangeNotification",   // 62
            "",                                              // 63
            "",                                              // 64
            "RpcRemoteFindFirstPrinterChangeNotificationEx", // 65
            "RpcRouterReplyPrinterEx",                       // 66
            "RpcRouterRefreshPrinterChangeNotification",     // 67
            "",                                              // 68
            "RpcOpenPrinterEx",                              // 69
            "RpcAddPrinterEx",                               // 70
            "RpcSetPort",                                    // 71
            "RpcEnumPrinterData",                            // 72
            "RpcDeletePrinterData",                          // 73
            "",                                              // 74
            "",                                              // 75
            "",                                              // 76
            "RpcSetPrinterDataEx",                           // 77
            "RpcGetPrinterDataEx",                           // 78
            "RpcEnumPrinterDataEx",                          // 79
            "RpcEnumPrinterKey",                             // 80
            "RpcDeletePrinterDataEx",                        // 81
            "RpcDeletePrinterKey",                           // 82
            "",                                              // 83
            "RpcDeletePrinterDriverEx",                      // 84
            "RpcAddPerMachineConnection",                    // 85
            "RpcDeletePerMachineConnection",                 // 86
            "RpcEnumPerMachineConnections",                  // 87
            "RpcXcvData",                                    // 88
            "RpcAddPrinterDriverEx",                         // 89
        ],
    },
    Interface {
        uuid: "12345678-1234-abcd-ef00-01234567cffb",
        name: "netlogon",
        ops: &[
            "NetrLogonUasLogon",                   // 0
            "NetrLogonUasLogoff",                  // 1
            "NetrLogonSamLogon",                   // 2
            "NetrLogonSamLogoff",                  // 3
            "NetrServerReqChallenge",              // 4
            "NetrServerAuthenticate",              // 5
            "NetrServerPasswordSet",               // 6
            "NetrDatabaseDeltas",                  // 7
            "NetrDatabaseSync",                    // 8
            "NetrAccountDeltas",                   // 9
            "NetrAccountSync",                     // 10
            "NetrGetDCName",                       // 11
            "NetrLogonControl",                    // 12
            "NetrGetAnyDCName",                    // 13
            "NetrLogonControl2",                   // 14
            "NetrServerAuthenticate2",             // 15
            "NetrDatabaseSync2",                   // 16
            "NetrDatabaseRedo",                    // 17
            "NetrLogonControl2Ex",                 // 18
            "NetrEnumerateTrustedDomains",         // 19
            "DsrGetDcName",                        // 20
            "NetrLogonGetCapabilities",            // 21
            "NetrLogonSetServiceBits",             // 22
            "NetrLogonGetTrustRid",                // 23
            "NetrLogonComputeServerDigest",        // 24
            "NetrLogonComputeClientDigest",        // 25
            "NetrServerAuthenticate3",             // 26
            "DsrGetDcNameEx",                      // 27
            "DsrGetSiteName",                      // 28
            "NetrLogonGetDomainInfo",              // 29
            "NetrServerPasswordSet2",              // 30
            "NetrServerPasswordGet",               // 31
            "NetrLogonSendToSam",                  // 32
            "DsrAddressToSiteNamesW",              // 33
            "DsrGetDcNameEx2",                     // 34
            "NetrLogonGetTimeServiceParentDomain", // 35
            "NetrEnumerateTrustedDomainsEx",       // 36
            "DsrAddressToSiteNamesExW",            // 37
            "DsrGetDcSiteCoverageW",               // 38
            "NetrLogonSamLogonEx",                 // 39
            "DsrEnumerateDomainTrusts",            // 40
            "DsrDeregisterDnsHostRecords",         // 41
            "NetrServerTrustPasswordsGet",         // 42
            "DsrGetForestTrustInformation",        // 43
            "NetrGetForestTrustInformation",       // 44
            "NetrLogonSamLogonWithFlags",          // 45
            "NetrServerGetTrustInfo",              // 46
        ],
    },
    Interface {
        uuid: "6bffd098-a112-3610-9833-46c3f87e345a",
        name: "wkssvc",
        ops: &[
            "NetrWkstaGetInfo",             // 0
            "NetrWkstaSetInfo",             // 1
            "NetrWkstaUserEnum",            // 2
            "",                             // 3
            "",                             // 4
            "NetrWkstaTransportEnum",       // 5
            "NetrWkstaTransportAdd",        // 6
            "NetrWkstaTransportDel",        // 7
            "NetrUseAdd",                   // 8
            "NetrUseGetInfo",               // 9
            "NetrUseDel",                   // 10
            "NetrUseEnum",                  // 11
            "",                             // 12
            "NetrWorkstationStatisticsGet", // 13
            "",
            "",
            "",
            "",
            "",
            "",                                // 14-19
            "NetrGetJoinInformation",          // 20
            "",                                // 21
            "NetrJoinDomain2",                 // 22
            "NetrUnjoinDomain2",               // 23
            "NetrRenameMachineInDomain2",      // 24
            "NetrValidateName2",               // 25
            "NetrGetJoinableOUs2",             // 26
            "NetrAddAlternateComputerName",    // 27
            "NetrRemoveAlternateComputerName", // 28
            "NetrSetPrimaryComputerName",      // 29
            "NetrEnumerateComputerNames",      // 30
        ],
    },
    Interface {
        uuid: "4b324fc8-1670-01d3-1278-5a47bf6ee188",
        name: "srvsvc",
        ops: &[
            "",
            "",
            "",
            "",
            "",
            "",
            "",
            "",                         // 0-7 not used on wire
            "NetrConnectionEnum",       // 8
            "NetrFileEnum",             // 9
            "NetrFileGetInfo",          // 10
            "NetrFileClose",            // 11
            "NetrSessionEnum",          // 12
            "NetrSessionDel",           // 13
            "NetrShareAdd",             // 14
            "NetrShareEnum",            // 15
            "NetrShareGetInfo",         // 16
            "NetrShareSetInfo",         // 17
            "NetrShareDel",             // 18
            "NetrShareDelSticky",       // 19
            "NetrShareCheck",           // 20
            "NetrServerGetInfo",        // 21
            "NetrServerSetInfo",        // 22
            "NetrServerDiskEnum",       // 23
            "NetrServerStatisticsGet",  // 24
            "NetrServerTransportAdd",   // 25
            "NetrServerTransportEnum",  // 26
            "NetrServerTransportDel",   // 27
            "NetrRemoteTOD",            // 28
            "",                         // 29
            "NetprPathType",            // 30
            "NetprPathCanonicalize",    // 31
            "NetprPathCompare",         // 32
            "NetprNameValidate",        // 33
            "NetprNameCanonicalize",    // 34
            "NetprNameCompare",         // 35
            "NetrShareEnumSticky",      // 36
            "NetrShareDelStart",        // 37
            "NetrShareDelCommit",       // 38
            "NetrpGetFileSecurity",     // 39
            "NetrpSetFileSecurity",     // 40
            "NetrServerTransportAddEx", // 41
        ],
    },
    Interface {
        uuid: "338cd001-2244-31f1-aaaa-900038001003",
        name: "winreg",
        ops: &[
            "OpenClassesRoot",              // 0
            "OpenCurrentUser",              // 1
            "OpenLocalMachine",             // 2
            "OpenPerformanceData",          // 3
            "OpenUsers",                    // 4
            "BaseRegCloseKey",              // 5
            "BaseRegCreateKey",             // 6
            "BaseRegDeleteKey",             // 7
            "BaseRegDeleteValue",           // 8
            "BaseRegEnumKey",               // 9
            "BaseRegEnumValue",             // 10
            "BaseRegFlushKey",              // 11
            "BaseRegGetKeySecurity",        // 12
            "BaseRegLoadKey",               // 13
            "",                             // 14
            "BaseRegOpenKey",               // 15
            "BaseRegQueryInfoKey",          // 16
            "BaseRegQueryValue",            // 17
            "BaseRegReplaceKey",            // 18
            "BaseRegRestoreKey",            // 19
            "BaseRegSaveKey",               // 20
            "BaseRegSetKeySecurity",        // 21
            "BaseRegSetValue",              // 22
            "BaseRegUnLoadKey",             // 23
            "BaseInitiateSystemShutdown",   // 24
            "BaseAbortSystemShutdown",      // 25
            "BaseRegGetVersion",            // 26
            "OpenCurrentConfig",            // 27
            "",                             // 28
            "BaseRegQueryMultipleValues",   // 29
            "BaseInitiateSystemShutdownEx", // 30
            "BaseRegSaveKeyEx",             // 31
            "OpenPerformanceText",          // 32
            "OpenPerformanceNlsText",       // 33
            "BaseRegQueryMultipleValues2",  // 34
            "BaseRegDeleteKeyEx",           // 35
        ],
    },
    Interface {
        uuid: "3919286a-b10c-11d0-9ba8-00c04fd92ef5",
        name: "dssetup",
        ops: &["DsRolerGetPrimaryDomainInformation"],
    },
    Interface {
        uuid: "c681d488-d850-11d0-8c52-00c04fd90f7e",
        name: "efsrpc",
        ops: EFSR_OPS,
    },
    Interface {
        uuid: "df1941c5-fe89-4e79-bf10-463657acf44d",
        name: "efsrpc",
        ops: EFSR_OPS,
    },
    Interface {
        uuid: "82273fdc-e32a-18c3-3f78-827929dc23ea",
        name: "eventlog",
        ops: &[
            "ElfrClearELFW",             // 0
            "ElfrBackupELFW",            // 1
            "ElfrCloseEL",               // 2
            "ElfrDeregisterEventSource", // 3
            "ElfrNumberOfRecords",       // 4
            "ElfrOldestRecord",          // 5
            "ElfrChangeNotify",          // 6
            "ElfrOpenELW",               // 7
            "ElfrRegisterEventSourceW",  // 8
            "ElfrOpenBELW",              // 9
            "ElfrReadELW",               // 10
            "ElfrReportEventW",          // 11
        ],
    },
    Interface {
        uuid: "e1af8308-5d1f-11c9-91a4-08002b14a0fa",
        name: "epmapper",
        ops: &[
            "ept_insert",             // 0
            "ept_delete",             // 1
            "ept_lookup",             // 2
            "ept_map",                // 3
            "ept_lookup_handle_free", // 4
            "ept_inq_object",         // 5
            "ept_mgmt_delete",        // 6
        ],
    },
    Interface {
        uuid: "afa8bd80-7d8a-11c9-bef4-08002b102989",
        name: "mgmt",
        ops: &[
            "inq_if_ids",
            "inq_stats",
            "is_server_listening",
            "stop_server_listening",
            "inq_princ_name",
        ],
    },
    Interface {
        uuid: "000001a0-0000-0000-c000-000000000046",
        name: "IRemoteSCMActivator",
        ops: dcom!["RemoteGetClassObject", "RemoteCreateInstance"],
    },
    Interface {
        uuid: "4d9f4ab8-7d1c-11cf-861e-0020af6e7c57",
        name: "IActivation",
        ops: &["RemoteActivation"],
    },
    Interface {
        uuid: "99fcfec4-5260-101b-bbcb-00aa0021347a",
        name: "IObjectExporter",
        ops: &[
            "ResolveOxid",
            "SimplePing",
            "ComplexPing",
            "ServerAlive",
            "ResolveOxid2",
            "ServerAlive2",
        ],
    },
    Interface {
        uuid: "00000143-0000-0000-c000-000000000046",
        name: "IRemUnknown2",
        ops: dcom![
            "RemQueryInterface",
            "RemAddRef",
            "RemRelease",
            "RemQueryInterface2"
        ],
    },
    Interface {
        uuid: "00000131-0000-0000-c000-000000000046",
        name: "IRemUnknown",
        ops: dcom!["RemQueryInterface", "RemAddRef", "RemRelease"],
    },
    Interface {
        uuid: "f309ad18-d86a-11d0-a075-00c04fb68820",
        name: "IWbemLevel1Login",
        ops: dcom![
            "EstablishPosition",
            "RequestChallenge",
            "WBEMLogin",
            "NTLMLogin"
        ],
    },
    Interface {
        uuid: "9556dc99-828c-11cf-a37e-00aa003240c7",
        name: "IWbemServices",
        ops: dcom![
            "OpenNamespace",              // 3
            "CancelAsyncCall",            // 4
            "QueryObjectSink",            // 5
            "GetObject",                  // 6
            "GetObjectAsync",             // 7
            "PutClass",                   // 8
            "PutClassAsync",              // 9
            "DeleteClass",                // 10
            "DeleteClassAsync",           // 11
            "CreateClassEnum",            // 12
            "CreateClassEnumAsync",       // 13
            "PutInstance",                // 14
            "PutInstanceAsync",           // 15
            "DeleteInstance",             // 16
            "DeleteInstanceAsync",        // 17
            "CreateInstanceEnum",         // 18
            "CreateInstanceEnumAsync",    // 19
            "ExecQuery",                  // 20
            "ExecQueryAsync",             // 21
            "ExecNotificationQuery",      // 22
            "ExecNotificationQueryAsync", // 23
            "ExecMethod",                 // 24
            "ExecMethodAsync",            // 25
        ],
    },
    Interface {
        uuid: "f5cc5a18-4264-101a-8c59-08002b2f8426",
        name: "nspi",
        ops: &[
            "NspiBind",              // 0
            "NspiUnbind",            // 1
            "NspiUpdateStat",        // 2
            "NspiQueryRows",         // 3
            "NspiSeekEntries",       // 4
            "NspiGetMatches",        // 5
            "NspiResortRestriction", // 6
            "NspiDNToMId",           // 7
            "NspiGetPropList",       // 8
            "NspiGetProps",          // 9
            "NspiCompareMIds",       // 10
            "NspiModProps",          // 11
            "NspiGetSpecialTable",   // 12
            "NspiGetTemplateInfo",   // 13
            "NspiModLinkAtt",        // 14
            "",                      // 15
            "NspiQueryColumns",      // 16
            "",                      // 17
            "",                      // 18
            "NspiResolveNames",      // 19
            "NspiResolveNamesW",     // 20
        ],
    },
    Interface {
        uuid: "a4f1db00-ca47-1067-b31f-00dd010662da",
        name: "exchange_mapi",
        ops: &[
            "EcDoConnect",                   // 0
            "EcDoDisconnect",                // 1
            "EcDoRpc",                       // 2
            "EcGetMoreRpc",                  // 3
            "EcRRegisterPushNotification",   // 4
            "EcRUnregisterPushNotification", // 5
            "EcDummyRpc",                    // 6
            "EcRGetDCName",                  // 7
            "EcRNetGetDCName",               // 8
            "EcDoRpcExt",                    // 9
            "EcDoConnectEx",                 // 10
            "EcDoRpcExt2",                   // 11
        ],
    },
];

const EFSR_OPS: &[&str] = &[
    "EfsRpcOpenFileRaw",         // 0
    "EfsRpcReadFileRaw",         // 1
    "EfsRpcWriteFileRaw",        // 2
    "EfsRpcCloseRaw",            // 3
    "EfsRpcEncryptFileSrv",      // 4
    "EfsRpcDecryptFileSrv",      // 5
    "EfsRpcQueryUsersOnFile",    // 6
    "EfsRpcQueryRecoveryAgents", // 7
    "EfsRpcRemoveUsersFromFile", // 8
    "EfsRpcAddUsersToFile",      // 9
];

/// The interface of a UUID (canonical text form, lower case).
pub fn interface(uuid: &str) -> Option<&'static Interface> {
    INTERFACES.iter().find(|i| i.uuid == uuid)
}

/// Endpoint (interface) name for dce_rpc.log: the known name, else the UUID itself.
pub fn endpoint_name(uuid: &str) -> String {
    interface(uuid)
        .map(|i| i.name.to_string())
        .unwrap_or_else(|| uuid.to_string())
}

/// Operation name for dce_rpc.log: the known name, else `unknown-<opnum>`.
pub fn operation_name(uuid: &str, opnum: u16) -> String {
    interface(uuid)
        .and_then(|i| i.ops.get(opnum as usize))
        .filter(|n| !n.is_empty())
        .map(|n| n.to_string())
        .unwrap_or_else(|| format!("unknown-{opnum}"))
}
