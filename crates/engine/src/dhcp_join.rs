//! dhcp.log across connections. Zeek's dhcp.log has one record per DHCP transaction (one
//! transaction id), whichever connections its messages used: a DISCOVER broadcast from
//! 0.0.0.0 and the OFFER unicast to the new address are two connections but one exchange, with
//! both uids in `uids`. The parsers aggregate per connection (a flow thread sees only its own
//! connections); the log writer, which sees every record, joins the records of one transaction
//! here: same transaction id, first messages within [`WATCH_NS`] of each other.
//!
//! Records reach the writer when their connections end (UDP: a minute after their last
//! packet), so a transaction is held until no record of it can still come: until a record
//! [`LINGER_NS`] later has been seen, or the end of the run. At most [`MAX_OPEN`] are held;
//! beyond, the oldest is written early (counted).

use crate::range_files::ConnId;
use netloupe_proto::dhcp::DhcpRecord;
use std::collections::VecDeque;

/// Messages of one transaction are joined within this time of its first (Zeek's
/// `DHCP::max_txid_watch_time`, 30 s).
pub(crate) const WATCH_NS: i64 = 30_000_000_000;
/// A transaction is written once a record this much later has arrived: its connections have
/// timed out by then (UDP inactivity 60 s, plus the watch time, plus a margin).
pub(crate) const LINGER_NS: i64 = 180_000_000_000;
/// Transactions held at once.
pub(crate) const MAX_OPEN: usize = 4096;

#[derive(Default)]
pub(crate) struct DhcpTransactions {
    /// (the first connection's id, the joined record), oldest first.
    open: VecDeque<(ConnId, DhcpRecord)>,
    latest_ns: i64,
    /// Transactions written early because [`MAX_OPEN`] were held.
    pub evicted: u64,
}

impl DhcpTransactions {
    /// A connection's record; transactions that are complete go to `out`.
    pub(crate) fn add(
        &mut self,
        conn: ConnId,
        mut r: DhcpRecord,
        out: &mut Vec<(ConnId, DhcpRecord)>,
    ) {
        if r.uids.is_empty() {
            let mut uid = String::with_capacity(18);
            conn.uid.render('C', &mut uid);
            r.uids.push(uid);
        }
        self.latest_ns = self.latest_ns.max(r.ts_ns);
        match self
            .open
            .iter_mut()
            .find(|(_, o)| o.trans_id == r.trans_id && (o.ts_ns - r.ts_ns).abs() <= WATCH_NS)
        {
            Some((first, o)) => {
                // The earliest connection names the record (ties by uid: records of one sweep
                // arrive in hash order, and the output must not depend on it).
                if (r.ts_ns, conn.uid) < (o.ts_ns, first.uid) {
                    *first = conn;
                }
                merge(o, r);
            }
            None => {
                if self.open.len() >= MAX_OPEN {
                    if let Some(old) = self.open.pop_front() {
                        self.evicted += 1;
                        out.push(old);
                    }
                }
                self.open.push_back((conn, r));
            }
        }
        let latest = self.latest_ns;
        while self
            .open
            .front()
            .is_some_and(|(_, o)| o.ts_ns.saturating_add(LINGER_NS) < latest)
        {
            if let Some(done) = self.open.pop_front() {
                out.push(done);
            }
        }
    }

    /// Every transaction still held (end of the run), oldest first.
    pub(crate) fn finish(&mut self) -> impl Iterator<Item = (ConnId, DhcpRecord)> + '_ {
        self.open.drain(..)
    }
}

/// Joins `b` into `a` (two connections' records of one transaction): message types in time
/// order, uids of both, the first time and the whole duration; for the other fields the
/// record whose last message is later wins where it has a value, as Zeek's latest message
/// does.
fn merge(a: &mut DhcpRecord, b: DhcpRecord) {
    let (a_end, b_end) = (a.ts_ns + a.duration_ns, b.ts_ns + b.duration_ns);
    // Ties broken by uid, so the result does not depend on which record arrived first (two
    // connections ending in one sweep arrive in hash order).
    let later = (b_end, &b.uids) > (a_end, &a.uids);
    // client_addr: the latest client message's address, else the first server reply's
    // yiaddr (set only while none was known, as in one connection's record).
    let b_wins = match (a.client_addr_from, b.client_addr_from) {
        (_, None) => false,
        (None, Some(_)) => true,
        (Some((false, _)), Some((true, _))) => true,
        (Some((true, _)), Some((false, _))) => false,
        (Some((true, x)), Some((true, y))) => y > x || (y == x && later),
        (Some((false, x)), Some((false, y))) => y < x || (y == x && !later),
    };
    let client = if b_wins {
        (b.client_addr, b.client_addr_from)
    } else {
        (a.client_addr, a.client_addr_from)
    };
    // Message types interleaved by time (each record's own are in order); a record
    // without times (none in practice) goes after.
    let mut types: Vec<(i64, String)> = Vec::with_capacity(a.msg_types.len() + b.msg_types.len());
    for r in [&*a, &b] {
        for (i, t) in r.msg_types.iter().enumerate() {
            types.push((r.msg_ts.get(i).copied().unwrap_or(i64::MAX), t.clone()));
        }
    }
    types.sort();
    a.msg_ts = types.iter().map(|(ts, _)| *ts).collect();
    a.msg_types = types.into_iter().map(|(_, t)| t).collect();
    // A set in Zeek: kept sorted, so arrival order does not show.
    for u in &b.uids {
        if !a.uids.contains(u) {
            a.uids.push(u.clone());
        }
    }
    a.uids.sort();
    let start = a.ts_ns.min(b.ts_ns);
    a.duration_ns = a_end.max(b_end) - start;
    a.ts_ns = start;
    // The later record's values win; the earlier one's fill what the later lacks.
    macro_rules! take {
        ($($f:ident),*) => {$(
            if b.$f.is_some() && (later || a.$f.is_none()) {
                a.$f = b.$f.clone();
            }
        )*};
    }
    (a.client_addr, a.client_addr_from) = client;
    take!(
        server_addr,
        mac,
        host_name,
        client_fqdn,
        domain,
        requested_addr,
        assigned_addr,
        lease_time,
        client_message,
        server_message,
        circuit_id,
        agent_remote_id,
        subscriber_id,
        client_software,
        server_software,
        client_id
    );
    macro_rules! take_list {
        ($($f:ident),*) => {$(
            if !b.$f.is_empty() && (later || a.$f.is_empty()) {
                a.$f = b.$f.clone();
            }
        )*};
    }
    take_list!(routers, dns_servers, params);
}

#[cfg(test)]
mod tests {
    use super::*;
    use netloupe_flow::Uid;
    use std::net::{IpAddr, Ipv4Addr};

    fn conn(n: u128, a: [u8; 4], b: [u8; 4]) -> ConnId {
        ConnId {
            uid: Uid(n),
            orig_h: IpAddr::V4(Ipv4Addr::from(a)),
            orig_p: 68,
            resp_h: IpAddr::V4(Ipv4Addr::from(b)),
            resp_p: 67,
        }
    }

    fn rec(ts_s: i64, xid: u32, types: &[&str]) -> DhcpRecord {
        DhcpRecord {
            ts_ns: ts_s * 1_000_000_000,
            trans_id: xid,
            msg_types: types.iter().map(|s| s.to_string()).collect(),
            // Messages 100 ms apart.
            msg_ts: (0..types.len() as i64)
                .map(|i| ts_s * 1_000_000_000 + i * 100_000_000)
                .collect(),
            duration_ns: 1_000_000,
            ..Default::default()
        }
    }

    /// A DISCOVER/REQUEST on the broadcast connection and the OFFER/ACK on the unicast one
    /// are one transaction; another transaction id stays apart.
    #[test]
    fn one_transaction_over_two_connections() {
        let mut j = DhcpTransactions::default();
        let mut out = vec![];
        let bcast = conn(1, [0, 0, 0, 0], [255, 255, 255, 255]);
        let ucast = conn(2, [192, 168, 0, 1], [192, 168, 0, 10]);
        let mut client = rec(100, 7, &["DISCOVER", "REQUEST"]);
        client.host_name = Some("laptop".into());
        let mut server = rec(100, 7, &["OFFER", "ACK"]);
        server.ts_ns += 500_000_000;
        for t in &mut server.msg_ts {
            *t += 500_000_000;
        }
        server.assigned_addr = Some(Ipv4Addr::new(192, 168, 0, 10));
        j.add(ucast, server, &mut out);
        j.add(bcast, client, &mut out);
        j.add(bcast, rec(101, 8, &["INFORM"]), &mut out);
        assert!(out.is_empty(), "held until later records or the end");
        let all: Vec<_> = j.finish().collect();
        assert_eq!(all.len(), 2);
        let (first, r) = &all[0];
        assert_eq!(
            first.uid,
            Uid(1),
            "the earliest connection names the record"
        );
        // Client at +0 and +100 ms, server at +500 and +600 ms.
        assert_eq!(r.msg_types, ["DISCOVER", "REQUEST", "OFFER", "ACK"]);
        assert_eq!(r.uids.len(), 2);
        assert_eq!(r.host_name.as_deref(), Some("laptop"));
        assert_eq!(r.assigned_addr, Some(Ipv4Addr::new(192, 168, 0, 10)));
        assert_eq!(r.ts_ns, 100_000_000_000);
        assert_eq!(r.duration_ns, 501_000_000);
    }

    /// Transactions are written once a record LINGER_NS later arrives; the cap writes the
    /// oldest early and counts it.
    #[test]
    fn written_when_no_more_can_come_and_capped() {
        let mut j = DhcpTransactions::default();
        let mut out = vec![];
        let c = conn(1, [10, 0, 0, 1], [10, 0, 0, 2]);
        j.add(c, rec(0, 1, &["DISCOVER"]), &mut out);
        j.add(
            c,
            rec(LINGER_NS / 1_000_000_000 + 1, 2, &["DISCOVER"]),
            &mut out,
        );
        assert_eq!(out.len(), 1);
        assert_eq!(out[0].1.trans_id, 1);
        for i in 0..MAX_OPEN as u32 {
            j.add(c, rec(200, 100 + i, &["DISCOVER"]), &mut out);
        }
        assert_eq!(j.evicted, 1);
    }
}
