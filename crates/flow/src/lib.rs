//! Flow tracking for netloupe.
//!
//! A [`FlowTable`] follows every bidirectional conversation (TCP, UDP, ICMP, SCTP and any other IP
//! protocol) with the semantics analysts know from Zeek's conn.log: the originator is decided as
//! Zeek decides it (SYN sender; `likely_server_ports` for partial connections; `^` in the history
//! when roles flip), TCP endpoints run Zeek's state machine so that `conn_state`, `history`,
//! `orig_bytes`/`resp_bytes` (from sequence numbers) and the packet and IP-byte counts agree with
//! Zeek, and connections end when Zeek would end them (inactivity, close and attempt delays, port
//! reuse). Every finished flow becomes a [`ConnRecord`] carrying a Zeek-style `uid` and its
//! Community ID.
//!
//! The table is owned by one worker thread; flows are sharded across workers by
//! [`FlowKey::shard_hash`], which is symmetric so both directions of a flow land on the same worker.
//! Memory is bounded by `FlowConfig::max_flows`; evictions are counted.
#![forbid(unsafe_code)]

mod app;
pub mod community_id;
#[doc(hidden)]
pub mod fuzzing;
mod key;
mod ports;
pub mod reassembly;
mod record;
mod table;
mod tcp;
mod uid;

pub use app::{AppConfig, AppEvent, AppStats};
pub use key::{FlowKey, FlowPacket, L4};
pub use netloupe_proto::AppRecord;
pub use ports::is_likely_server_port;
pub use record::{write_conn_id, ConnRecord, Proto};
pub use table::{FlowConfig, FlowStats, FlowTable};
pub use uid::{tunnel_uid, Uid};
