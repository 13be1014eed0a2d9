//! What one request cost, written out once it is answered: a JSON log line for people
//! and, when a namespace is configured, a CloudWatch embedded-metric-format (EMF) line
//! that CloudWatch turns into metrics without an API call.
//!
//! The phase times are measured where the work happens (the store reads in the GET
//! handler, decode, operations and encode in the pipeline) and reach the request's
//! middleware with the response (see `http::observe`); nothing here is global.
//!
//! Neither line ever holds a credential: no header is logged, and the signature
//! parameters' values are replaced in the logged query.

use crate::params;
use serde_json::{json, Map, Value};
use std::io::Write;
use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// A stage of producing an image.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Phase {
    /// Reading the original and any operand images.
    Store,
    Decode,
    Operations,
    Encode,
}

impl Phase {
    pub const ALL: [Phase; 4] = [
        Phase::Store,
        Phase::Decode,
        Phase::Operations,
        Phase::Encode,
    ];

    /// The name in `Server-Timing`.
    pub fn timing_name(self) -> &'static str {
        match self {
            Phase::Store => "store",
            Phase::Decode => "decode",
            Phase::Operations => "ops",
            Phase::Encode => "encode",
        }
    }

    /// The field of the log line.
    pub fn log_field(self) -> &'static str {
        match self {
            Phase::Store => "ms_store",
            Phase::Decode => "ms_decode",
            Phase::Operations => "ms_ops",
            Phase::Encode => "ms_encode",
        }
    }

    /// The CloudWatch metric.
    pub fn metric(self) -> &'static str {
        match self {
            Phase::Store => "StoreTime",
            Phase::Decode => "DecodeTime",
            Phase::Operations => "OperationsTime",
            Phase::Encode => "EncodeTime",
        }
    }
}

/// Time spent in each phase that ran (`None`: it did not run).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct PhaseTimes([Option<Duration>; 4]);

impl PhaseTimes {
    fn slot(&mut self, phase: Phase) -> &mut Option<Duration> {
        &mut self.0[phase as usize]
    }

    pub fn get(&self, phase: Phase) -> Option<Duration> {
        self.0[phase as usize]
    }

    pub fn add(&mut self, phase: Phase, spent: Duration) {
        let slot = self.slot(phase);
        *slot = Some(slot.unwrap_or_default() + spent);
    }

    /// Runs `work`, adding its duration to `phase`.
    pub fn measure<T>(&mut self, phase: Phase, work: impl FnOnce() -> T) -> T {
        let started = std::time::Instant::now();
        let out = work();
        self.add(phase, started.elapsed());
        out
    }

    pub fn merge(&mut self, other: &PhaseTimes) {
        for phase in Phase::ALL {
            if let Some(d) = other.get(phase) {
                self.add(phase, d);
            }
        }
    }

    /// The `Server-Timing` value: each phase that ran, then the total (ms, one decimal).
    pub fn server_timing(&self, total: Duration) -> String {
        let mut parts: Vec<String> = Phase::ALL
            .into_iter()
            .filter_map(|p| {
                self.get(p)
                    .map(|d| format!("{};dur={:.1}", p.timing_name(), ms(d)))
            })
            .collect();
        parts.push(format!("total;dur={:.1}", ms(total)));
        parts.join(", ")
    }
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

/// Milliseconds to three decimals, for the JSON lines.
fn ms_value(d: Duration) -> Value {
    json!((ms(d) * 1000.0).round() / 1000.0)
}

/// What kind of request it was, as the log line and the `Route` dimension name it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RouteName {
    List,
    Original,
    Transform,
    Upload,
    Delete,
    Health,
    Preflight,
    Other,
}

impl RouteName {
    pub fn as_str(self) -> &'static str {
        match self {
            RouteName::List => "list",
            RouteName::Original => "original",
            RouteName::Transform => "transform",
            RouteName::Upload => "upload",
            RouteName::Delete => "delete",
            RouteName::Health => "health",
            RouteName::Preflight => "preflight",
            RouteName::Other => "other",
        }
    }
}

/// One answered request.
#[derive(Debug, Clone)]
pub struct RequestRecord {
    pub request_id: String,
    pub method: String,
    pub route: RouteName,
    pub path: String,
    /// The raw query with the signature parameters' values replaced (see [`redact_query`]).
    pub query: String,
    pub status: u16,
    /// The error `code` of an error response, when it has one.
    pub code: Option<&'static str>,
    pub bytes_in: u64,
    pub bytes_out: u64,
    pub total: Duration,
    pub phases: PhaseTimes,
}

/// Query parameters whose values never reach a log.
const REDACTED_PARAMS: [&str; 3] = [params::SIGNATURE, params::KEY_ID, params::EXPIRES];

/// The raw query with the values of `s`, `kid` and `exp` replaced by `-`.
pub fn redact_query(query: &str) -> String {
    query
        .split('&')
        .filter(|p| !p.is_empty())
        .map(|pair| {
            let key = pair.split_once('=').map_or(pair, |(k, _)| k);
            let decoded = params::query::decode(key).unwrap_or_else(|lossy| lossy);
            if REDACTED_PARAMS.contains(&decoded.as_str()) {
                format!("{key}=-")
            } else {
                pair.to_string()
            }
        })
        .collect::<Vec<_>>()
        .join("&")
}

impl RequestRecord {
    /// The log line: `"msg":"request"` and the fields of the README's list.
    pub fn log_line(&self) -> String {
        let mut line = Map::new();
        let level = if self.status >= 500 { "ERROR" } else { "INFO" };
        line.insert("level".into(), json!(level));
        line.insert("msg".into(), json!("request"));
        line.insert("request_id".into(), json!(self.request_id));
        line.insert("method".into(), json!(self.method));
        line.insert("route".into(), json!(self.route.as_str()));
        line.insert("path".into(), json!(self.path));
        line.insert("query".into(), json!(self.query));
        line.insert("status".into(), json!(self.status));
        line.insert("code".into(), json!(self.code));
        line.insert("bytes_in".into(), json!(self.bytes_in));
        line.insert("bytes_out".into(), json!(self.bytes_out));
        line.insert("ms_total".into(), ms_value(self.total));
        for phase in Phase::ALL {
            let spent = self.phases.get(phase).unwrap_or_default();
            line.insert(phase.log_field().into(), ms_value(spent));
        }
        Value::Object(line).to_string()
    }

    /// The EMF line: per-route latency, phase times and bytes; the service's requests,
    /// 4xx and 5xx; and on errors, a count by error code.
    pub fn emf_line(&self, namespace: &str, timestamp: SystemTime) -> String {
        let metric = |name: &str, unit: &str| json!({"Name": name, "Unit": unit});
        let mut per_route = vec![metric("Latency", "Milliseconds")];
        per_route.extend(
            Phase::ALL
                .into_iter()
                .map(|p| metric(p.metric(), "Milliseconds")),
        );
        per_route.extend([
            metric("BytesIn", "Bytes"),
            metric("BytesOut", "Bytes"),
            metric("Requests", "Count"),
        ]);
        let mut directives = vec![
            json!({"Namespace": namespace, "Dimensions": [["Route"]], "Metrics": per_route}),
            json!({"Namespace": namespace, "Dimensions": [[]], "Metrics": [
                metric("Requests", "Count"),
                metric("Errors4xx", "Count"),
                metric("Errors5xx", "Count"),
                metric("Latency", "Milliseconds"),
            ]}),
        ];
        let error = self.status >= 400;
        if error {
            directives.push(
                json!({"Namespace": namespace, "Dimensions": [["Code"]], "Metrics": [
                    metric("Errors", "Count"),
                ]}),
            );
        }
        let millis = timestamp
            .duration_since(UNIX_EPOCH)
            .unwrap_or_default()
            .as_millis() as u64;
        let mut line = Map::new();
        line.insert(
            "_aws".into(),
            json!({"Timestamp": millis, "CloudWatchMetrics": directives}),
        );
        line.insert("Route".into(), json!(self.route.as_str()));
        line.insert("Latency".into(), ms_value(self.total));
        for phase in Phase::ALL {
            let spent = self.phases.get(phase).unwrap_or_default();
            line.insert(phase.metric().into(), ms_value(spent));
        }
        line.insert("BytesIn".into(), json!(self.bytes_in));
        line.insert("BytesOut".into(), json!(self.bytes_out));
        line.insert("Requests".into(), json!(1));
        line.insert(
            "Errors4xx".into(),
            json!(u8::from((400..500).contains(&self.status))),
        );
        line.insert("Errors5xx".into(), json!(u8::from(self.status >= 500)));
        if error {
            let code = self
                .code
                .map_or_else(|| format!("http-{}", self.status), str::to_string);
            line.insert("Code".into(), json!(code));
            line.insert("Errors".into(), json!(1));
        }
        line.insert("request_id".into(), json!(self.request_id));
        Value::Object(line).to_string()
    }
}

/// Where the lines go: one call per line, without the newline.
pub type LineSink = Arc<dyn Fn(&str) + Send + Sync>;

/// Writes each request's lines.
pub struct Observer {
    namespace: Option<String>,
    sink: LineSink,
}

impl Observer {
    pub fn new(namespace: Option<String>, sink: LineSink) -> Observer {
        Observer { namespace, sink }
    }

    /// Lines to stdout (CloudWatch Logs on Lambda). A failed write (a closed pipe) is
    /// ignored rather than failing the request.
    pub fn stdout(namespace: Option<String>) -> Observer {
        Observer::new(
            namespace,
            Arc::new(|line: &str| {
                let mut out = std::io::stdout().lock();
                let _ = writeln!(out, "{line}");
                let _ = out.flush();
            }),
        )
    }

    pub fn namespace(&self) -> Option<&str> {
        self.namespace.as_deref()
    }

    pub fn record(&self, record: &RequestRecord) {
        (self.sink)(&record.log_line());
        if let Some(ns) = &self.namespace {
            (self.sink)(&record.emf_line(ns, SystemTime::now()));
        }
    }
}

impl std::fmt::Debug for Observer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Observer(namespace: {:?})", self.namespace)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record(status: u16, code: Option<&'static str>) -> RequestRecord {
        let mut phases = PhaseTimes::default();
        phases.add(Phase::Store, Duration::from_micros(1500));
        phases.add(Phase::Decode, Duration::from_millis(3));
        phases.add(Phase::Decode, Duration::from_millis(1));
        RequestRecord {
            request_id: "req-1".into(),
            method: "GET".into(),
            route: RouteName::Transform,
            path: "/cat.png".into(),
            query: redact_query("w=10&kid=k1&exp=99&s=c2lnbmF0dXJl"),
            status,
            code,
            bytes_in: 0,
            bytes_out: 1234,
            total: Duration::from_millis(9),
            phases,
        }
    }

    #[test]
    fn server_timing_names_the_phases_that_ran() {
        let r = record(200, None);
        assert_eq!(
            r.phases.server_timing(Duration::from_micros(9100)),
            "store;dur=1.5, decode;dur=4.0, total;dur=9.1"
        );
        let mut all = PhaseTimes::default();
        for p in Phase::ALL {
            all.measure(p, || ());
        }
        let mut merged = PhaseTimes::default();
        merged.merge(&all);
        assert_eq!(merged, all);
        assert!(all
            .server_timing(Duration::ZERO)
            .starts_with("store;dur=0.0, decode;dur=0.0, ops;dur=0.0, encode;dur=0.0"));
    }

    #[test]
    fn signature_values_never_reach_the_query_field() {
        assert_eq!(
            redact_query("w=10&kid=k1&exp=99&%73=c2ln&fm=webp"),
            "w=10&kid=-&exp=-&%73=-&fm=webp"
        );
        assert_eq!(redact_query(""), "");
    }

    #[test]
    fn log_line_fields() {
        let line: Value = serde_json::from_str(&record(200, None).log_line()).unwrap();
        assert_eq!(line["msg"], "request");
        assert_eq!(line["route"], "transform");
        assert_eq!(line["status"], 200);
        assert_eq!(line["code"], Value::Null);
        assert_eq!(line["ms_store"], 1.5);
        assert_eq!(line["ms_decode"], 4.0);
        assert_eq!(line["ms_ops"], 0.0);
        assert_eq!(line["ms_total"], 9.0);
        assert_eq!(line["bytes_out"], 1234);
        assert!(!line.to_string().contains("c2lnbmF0dXJl"));
    }

    #[test]
    fn emf_line_declares_the_contracted_metrics() {
        let at = UNIX_EPOCH + Duration::from_secs(1_700_000_000);
        let ok: Value =
            serde_json::from_str(&record(200, None).emf_line("ImageService/dev", at)).unwrap();
        let directives = ok["_aws"]["CloudWatchMetrics"].as_array().unwrap();
        assert_eq!(directives.len(), 2);
        assert_eq!(ok["_aws"]["Timestamp"], 1_700_000_000_000u64);
        let names = |d: &Value| -> Vec<String> {
            d["Metrics"]
                .as_array()
                .unwrap()
                .iter()
                .map(|m| m["Name"].as_str().unwrap().to_string())
                .collect()
        };
        assert_eq!(directives[0]["Dimensions"], json!([["Route"]]));
        assert_eq!(
            names(&directives[0]),
            [
                "Latency",
                "StoreTime",
                "DecodeTime",
                "OperationsTime",
                "EncodeTime",
                "BytesIn",
                "BytesOut",
                "Requests"
            ]
        );
        assert_eq!(directives[1]["Dimensions"], json!([[]]));
        assert_eq!(
            names(&directives[1]),
            ["Requests", "Errors4xx", "Errors5xx", "Latency"]
        );
        for d in directives {
            assert_eq!(d["Namespace"], "ImageService/dev");
            // Every metric a directive names is a member of the line.
            for name in names(d) {
                assert!(ok[&name].is_number(), "{name}");
            }
        }
        assert_eq!(
            (ok["Route"].as_str(), ok["Errors4xx"].as_u64()),
            (Some("transform"), Some(0))
        );
        assert!(ok.get("Code").is_none());

        let e: Value =
            serde_json::from_str(&record(404, Some("not-found")).emf_line("ns", at)).unwrap();
        let directives = e["_aws"]["CloudWatchMetrics"].as_array().unwrap();
        assert_eq!(directives.len(), 3);
        assert_eq!(directives[2]["Dimensions"], json!([["Code"]]));
        assert_eq!(names(&directives[2]), ["Errors"]);
        assert_eq!(
            (e["Code"].as_str(), e["Errors"].as_u64()),
            (Some("not-found"), Some(1))
        );
        assert_eq!(
            (e["Errors4xx"].as_u64(), e["Errors5xx"].as_u64()),
            (Some(1), Some(0))
        );
        let e: Value = serde_json::from_str(&record(502, None).emf_line("ns", at)).unwrap();
        assert_eq!(
            (e["Code"].as_str(), e["Errors5xx"].as_u64()),
            (Some("http-502"), Some(1))
        );
    }
}
