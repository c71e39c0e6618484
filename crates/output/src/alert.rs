//! The alert every detector raises, and the MITRE ATT&CK techniques alerts name.
//!
//! An [`Alert`] is written to `alerts.log` (one JSON object per line) and, with `--format eve`,
//! as a Suricata EVE `alert` event. It carries what an analyst needs to triage without opening
//! the capture: who (source, destination), what (detector, technique, summary), how sure
//! (severity, score, confidence), why (the measured values that crossed the line, in
//! `evidence`), and where to look (the connections' uids and Community IDs).

use crate::json::JsonObject;
use std::net::IpAddr;

/// An ATT&CK technique (or sub-technique) and the tactic it serves in the alert's context.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Technique {
    pub id: &'static str,
    pub name: &'static str,
    pub tactic_id: &'static str,
    pub tactic: &'static str,
}

/// The techniques netloupe's detectors name (ATT&CK Enterprise v15 ids and names). A technique
/// that serves several tactics is listed with the one netloupe reports it under.
pub const TECHNIQUES: &[Technique] = &[
    t(
        "T1071",
        "Application Layer Protocol",
        "TA0011",
        "Command and Control",
    ),
    t(
        "T1071.001",
        "Application Layer Protocol: Web Protocols",
        "TA0011",
        "Command and Control",
    ),
    t(
        "T1071.004",
        "Application Layer Protocol: DNS",
        "TA0011",
        "Command and Control",
    ),
    t(
        "T1573",
        "Encrypted Channel",
        "TA0011",
        "Command and Control",
    ),
    t(
        "T1105",
        "Ingress Tool Transfer",
        "TA0011",
        "Command and Control",
    ),
    t("T1090", "Proxy", "TA0011", "Command and Control"),
    t(
        "T1568.002",
        "Dynamic Resolution: Domain Generation Algorithms",
        "TA0011",
        "Command and Control",
    ),
    t(
        "T1572",
        "Protocol Tunneling",
        "TA0011",
        "Command and Control",
    ),
    t(
        "T1041",
        "Exfiltration Over C2 Channel",
        "TA0010",
        "Exfiltration",
    ),
    t(
        "T1048",
        "Exfiltration Over Alternative Protocol",
        "TA0010",
        "Exfiltration",
    ),
    t("T1566", "Phishing", "TA0001", "Initial Access"),
    t("T1189", "Drive-by Compromise", "TA0001", "Initial Access"),
    t(
        "T1190",
        "Exploit Public-Facing Application",
        "TA0001",
        "Initial Access",
    ),
    t("T1595", "Active Scanning", "TA0043", "Reconnaissance"),
    t("T1046", "Network Service Discovery", "TA0007", "Discovery"),
    t("T1110", "Brute Force", "TA0006", "Credential Access"),
    t("T1496", "Resource Hijacking", "TA0040", "Impact"),
    t(
        "T1583",
        "Acquire Infrastructure",
        "TA0042",
        "Resource Development",
    ),
];

const fn t(
    id: &'static str,
    name: &'static str,
    tactic_id: &'static str,
    tactic: &'static str,
) -> Technique {
    Technique {
        id,
        name,
        tactic_id,
        tactic,
    }
}

/// The technique with `id` (`T1071`, `T1071.001`), if netloupe knows it.
pub fn technique(id: &str) -> Option<&'static Technique> {
    TECHNIQUES.iter().find(|t| t.id.eq_ignore_ascii_case(id))
}

/// A measured value in an alert's evidence.
#[derive(Clone, Debug, PartialEq)]
pub enum Evidence {
    Str(String),
    Int(i64),
    Float(f64),
    List(Vec<String>),
}

/// One alert.
#[derive(Clone, Debug, PartialEq)]
pub struct Alert {
    pub ts_ns: i64,
    /// The detector that raised it (`intel`, `beacon`, ...).
    pub detector: &'static str,
    /// What kind of finding it is (`threat-intel`, `c2`, `exfiltration`, ...).
    pub family: &'static str,
    /// `info`, `low`, `medium`, `high` or `critical`.
    pub severity: &'static str,
    /// 0-100: how much attention it deserves (severity weighed by confidence).
    pub score: u8,
    /// 0-100: how sure the detector is.
    pub confidence: u8,
    /// An ATT&CK technique known to netloupe, or only its id when a feed names one netloupe
    /// has no name for.
    pub technique: Option<Technique>,
    pub technique_id: Option<String>,
    pub src: Option<IpAddr>,
    pub src_port: Option<u16>,
    pub dst: Option<IpAddr>,
    pub dst_port: Option<u16>,
    /// `tcp`, `udp`, ...
    pub proto: Option<&'static str>,
    pub uids: Vec<String>,
    pub community_ids: Vec<String>,
    pub evidence: Vec<(&'static str, Evidence)>,
    /// What was found, the same for every alert of its kind (EVE's `alert.signature`).
    pub title: String,
    /// One line a reader understands without the rest.
    pub summary: String,
}

impl Alert {
    /// The Suricata severity (1 most severe .. 3).
    pub fn suricata_severity(&self) -> u8 {
        match self.severity {
            "critical" | "high" => 1,
            "medium" => 2,
            _ => 3,
        }
    }

    /// The technique id, known or not.
    pub fn technique_id(&self) -> Option<&str> {
        self.technique
            .as_ref()
            .map(|t| t.id)
            .or(self.technique_id.as_deref())
    }

    /// Writes the alerts.log object (without the closing brace's caller: the object is
    /// complete).
    pub fn write_json(&self, out: &mut String) {
        let mut o = JsonObject::new(out);
        o.ts("ts", self.ts_ns);
        if let Some(s) = self.src {
            o.ip("src", s);
        }
        if let Some(p) = self.src_port {
            o.int("src_port", p);
        }
        if let Some(d) = self.dst {
            o.ip("dst", d);
        }
        if let Some(p) = self.dst_port {
            o.int("dst_port", p);
        }
        if let Some(p) = self.proto {
            o.str("proto", p);
        }
        o.str_array("community_ids", &self.community_ids);
        self.write_finding(&mut o);
        o.end();
    }

    /// The finding itself — detector, family, title, severity, score, confidence, ATT&CK,
    /// uids, evidence, summary — into an open object (alerts.log lines, and EVE `alert`
    /// events under `netloupe`).
    pub fn write_finding(&self, o: &mut JsonObject<'_>) {
        o.str("detector", self.detector);
        o.str("family", self.family);
        o.str("title", &self.title);
        o.str("severity", self.severity);
        o.int("score", self.score);
        o.int("confidence", self.confidence);
        if let Some(id) = self.technique_id() {
            o.key("attack");
            let mut a = JsonObject::new(o.out());
            if let Some(t) = &self.technique {
                a.str("tactic_id", t.tactic_id);
                a.str("tactic", t.tactic);
            }
            a.str("technique_id", id);
            if let Some(t) = &self.technique {
                a.str("technique", t.name);
            }
            a.end();
        }
        o.str_array("uids", &self.uids);
        o.key("evidence");
        write_evidence(o.out(), &self.evidence);
        o.str("summary", &self.summary);
    }
}

/// Writes `evidence` as a JSON object.
fn write_evidence(out: &mut String, evidence: &[(&'static str, Evidence)]) {
    let mut e = JsonObject::new(out);
    for (k, v) in evidence {
        match v {
            Evidence::Str(s) => e.str(k, s),
            Evidence::Int(i) => e.int(k, *i),
            Evidence::Float(f) => e.raw(k, format_args!("{f}")),
            Evidence::List(l) => e.str_array(k, l),
        }
    }
    e.end();
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn alert_json_escapes_and_names_the_technique() {
        let a = Alert {
            ts_ns: 1_500_000_000_123_456_000,
            detector: "intel",
            family: "threat-intel",
            severity: "high",
            score: 80,
            confidence: 90,
            technique: technique("T1071").copied(),
            technique_id: None,
            src: Some("10.0.0.1".parse().unwrap()),
            src_port: Some(1234),
            dst: Some("192.0.2.1".parse().unwrap()),
            dst_port: Some(443),
            proto: Some("tcp"),
            uids: vec!["CabC".into()],
            community_ids: vec!["1:x".into()],
            evidence: vec![("indicator", Evidence::Str("evil\"\n".into()))],
            title: "Threat intel: listed address".into(),
            summary: "contact with \u{1b}[31m C2".into(),
        };
        let mut s = String::new();
        a.write_json(&mut s);
        let v: serde_json::Value = serde_json::from_str(&s).unwrap();
        assert_eq!(v["attack"]["tactic_id"], "TA0011");
        assert_eq!(v["attack"]["technique"], "Application Layer Protocol");
        assert_eq!(v["evidence"]["indicator"], "evil\"\n");
        assert!(!s.contains('\u{1b}'), "control characters are escaped: {s}");
        assert_eq!(a.suricata_severity(), 1);
    }
}
