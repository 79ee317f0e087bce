//! OTLP/HTTP bodies into the maintained protobuf types
//! (`opentelemetry-proto`): binary protobuf or JSON, plain or gzip, every
//! size capped. A refusal carries the HTTP status the OTLP spec asks for
//! and one line saying what the sender should change.

use std::io::Read;

use opentelemetry_proto::tonic::collector::trace::v1::{
    ExportTracePartialSuccess, ExportTraceServiceRequest, ExportTraceServiceResponse,
};
use prost::Message;

/// Largest body taken as sent (compressed or not).
pub const MAX_BODY: usize = 8 << 20;
/// Largest body after gunzip (a small gzip bomb is not inflated past it).
pub const MAX_DECODED: usize = 32 << 20;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Encoding {
    Protobuf,
    Json,
}

impl Encoding {
    pub fn content_type(self) -> &'static str {
        match self {
            Encoding::Protobuf => "application/x-protobuf",
            Encoding::Json => "application/json",
        }
    }
}

/// Why a request was refused whole.
#[derive(Debug, Clone, PartialEq)]
pub struct Refusal {
    pub status: u16,
    pub message: String,
}

impl Refusal {
    pub fn new(status: u16, message: impl Into<String>) -> Refusal {
        Refusal {
            status,
            message: message.into(),
        }
    }
}

/// The encoding a `Content-Type` names (parameters such as `charset` are
/// allowed); anything else is refused with 415.
pub fn encoding_of(content_type: Option<&str>) -> Result<Encoding, Refusal> {
    let ct = content_type.unwrap_or("");
    let mime = ct
        .split(';')
        .next()
        .unwrap_or("")
        .trim()
        .to_ascii_lowercase();
    match mime.as_str() {
        "application/x-protobuf" | "application/protobuf" => Ok(Encoding::Protobuf),
        "application/json" => Ok(Encoding::Json),
        _ => Err(Refusal::new(
            415,
            format!(
                "unsupported content type '{}': send application/x-protobuf or application/json",
                crate::sanitize::line(ct, 80)
            ),
        )),
    }
}

/// The body as the sender meant it: gunzipped when `Content-Encoding:
/// gzip`, refused when another encoding or when inflated past the cap.
pub fn unwrap_body<'a>(
    body: &'a [u8],
    content_encoding: Option<&str>,
) -> Result<std::borrow::Cow<'a, [u8]>, Refusal> {
    match content_encoding
        .map(|e| e.trim().to_ascii_lowercase())
        .as_deref()
    {
        None | Some("") | Some("identity") => Ok(body.into()),
        Some("gzip") | Some("x-gzip") => gunzip(body, MAX_DECODED).map(Into::into),
        Some(other) => Err(Refusal::new(
            415,
            format!(
                "unsupported content encoding '{}': send gzip or none",
                crate::sanitize::line(other, 40)
            ),
        )),
    }
}

fn gunzip(body: &[u8], cap: usize) -> Result<Vec<u8>, Refusal> {
    let mut out = Vec::with_capacity((body.len() * 4).min(cap));
    let mut d = flate2::read::GzDecoder::new(body).take(cap as u64 + 1);
    d.read_to_end(&mut out)
        .map_err(|e| Refusal::new(400, format!("bad gzip body: {e}")))?;
    if out.len() > cap {
        return Err(Refusal::new(
            413,
            format!("body inflates past {} MiB: send smaller batches", cap >> 20),
        ));
    }
    Ok(out)
}

/// Decode an export request. Protobuf past prost's nesting limit, a cut
/// message, invalid UTF-8 in a string or JSON that is not an export
/// request is refused (400) with the decoder's reason.
pub fn decode(body: &[u8], enc: Encoding) -> Result<ExportTraceServiceRequest, Refusal> {
    match enc {
        Encoding::Protobuf => ExportTraceServiceRequest::decode(body).map_err(|e| {
            Refusal::new(
                400,
                format!(
                    "not an OTLP protobuf trace export ({})",
                    crate::sanitize::line(&e.to_string(), 160)
                ),
            )
        }),
        Encoding::Json => serde_json::from_slice(body).map_err(|e| {
            Refusal::new(
                400,
                format!(
                    "not an OTLP JSON trace export ({})",
                    crate::sanitize::line(&e.to_string(), 160)
                ),
            )
        }),
    }
}

/// The success answer, with `partial_success` set when spans were
/// rejected or there is a warning for the sender.
pub fn answer(enc: Encoding, rejected: i64, message: &str) -> Vec<u8> {
    let resp = ExportTraceServiceResponse {
        partial_success: (rejected > 0 || !message.is_empty()).then(|| ExportTracePartialSuccess {
            rejected_spans: rejected,
            error_message: message.to_string(),
        }),
    };
    match enc {
        Encoding::Protobuf => resp.encode_to_vec(),
        Encoding::Json => serde_json::to_vec(&resp).unwrap_or_else(|_| b"{}".to_vec()),
    }
}

/// `google.rpc.Status`, the body the OTLP spec asks for with an error.
#[derive(Clone, PartialEq, Message)]
struct RpcStatus {
    #[prost(int32, tag = "1")]
    code: i32,
    #[prost(string, tag = "2")]
    message: String,
}

/// An error body in the request's encoding (protobuf when unknown).
pub fn error_body(enc: Option<Encoding>, status: u16, message: &str) -> Vec<u8> {
    // The gRPC code closest to the HTTP status (as the spec maps them).
    let code = match status {
        400 | 413 | 415 => 3, // INVALID_ARGUMENT
        401 => 16,            // UNAUTHENTICATED
        429 => 8,             // RESOURCE_EXHAUSTED
        503 => 14,            // UNAVAILABLE
        _ => 2,               // UNKNOWN
    };
    match enc {
        Some(Encoding::Json) => {
            serde_json::to_vec(&serde_json::json!({"code": code, "message": message}))
                .unwrap_or_default()
        }
        _ => RpcStatus {
            code,
            message: message.to_string(),
        }
        .encode_to_vec(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn content_types() {
        assert_eq!(
            encoding_of(Some("application/x-protobuf")),
            Ok(Encoding::Protobuf)
        );
        assert_eq!(
            encoding_of(Some("application/json; charset=utf-8")),
            Ok(Encoding::Json)
        );
        assert_eq!(encoding_of(Some("text/plain")).unwrap_err().status, 415);
        assert_eq!(encoding_of(None).unwrap_err().status, 415);
    }

    #[test]
    fn gzip_round_trip_and_bomb() {
        use std::io::Write;
        let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        e.write_all(b"hello").unwrap();
        let z = e.finish().unwrap();
        assert_eq!(&*unwrap_body(&z, Some("gzip")).unwrap(), b"hello");
        let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
        e.write_all(&vec![0u8; MAX_DECODED + 10]).unwrap();
        let bomb = e.finish().unwrap();
        assert!(bomb.len() < 1 << 20);
        assert_eq!(unwrap_body(&bomb, Some("gzip")).unwrap_err().status, 413);
        assert_eq!(unwrap_body(b"nope", Some("gzip")).unwrap_err().status, 400);
        assert_eq!(unwrap_body(b"x", Some("br")).unwrap_err().status, 415);
    }

    #[test]
    fn truncated_protobuf_is_refused() {
        let req = ExportTraceServiceRequest {
            resource_spans: vec![Default::default()],
        };
        let mut b = req.encode_to_vec();
        b.extend_from_slice(&[0x0a, 0xff, 0x01]);
        assert_eq!(decode(&b, Encoding::Protobuf).unwrap_err().status, 400);
    }

    #[test]
    fn json_ids_are_hex() {
        let j = br#"{"resourceSpans":[{"scopeSpans":[{"spans":[{"traceId":"5b8efff798038103d269b633813fc60c","spanId":"eee19b7ec3c1b174","name":"x","kind":1,"startTimeUnixNano":"1544712660000000000"}]}]}]}"#;
        let r = decode(j, Encoding::Json).unwrap();
        let s = &r.resource_spans[0].scope_spans[0].spans[0];
        assert_eq!(s.trace_id.len(), 16);
        assert_eq!(s.start_time_unix_nano, 1_544_712_660_000_000_000);
    }
}
