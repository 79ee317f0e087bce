//! Spans into runs and events (the table in the README's OpenTelemetry
//! section). Pure: the receiver hands it decoded requests and a clock, the
//! poller takes what it mapped. Every map it keeps is bounded.
//!
//! Exporters send a span when it *ends*, so a run's first spans are its
//! first finished steps and its root comes last: a run is created by the
//! first GenAI / OpenInference span of a trace, is `running` until the
//! trace's local root arrives (then `succeeded` or `failed` from its
//! status), and shows `quiet` when nothing arrived for a while — never
//! ended, since cordon has not seen it end.

use std::hash::{BuildHasher, Hash};

use opentelemetry_proto::tonic::collector::trace::v1::ExportTraceServiceRequest;
use opentelemetry_proto::tonic::common::v1::KeyValue;
use opentelemetry_proto::tonic::trace::v1::Span;
use serde_json::Value;

use super::options::{Link, Options};
use super::span::{self, Known, val};
use crate::model::event::{Data, Short};
use crate::model::{Event, EventKind, Run, RunState, RunStats, Time};
use crate::sanitize::{self, MAX_SHORT, MAX_TEXT};
use crate::source::Linked;

/// Maps keyed by what senders choose (trace ids, conversation ids): a fast
/// hash with a random seed per map, so no sender can aim at one bucket.
type HashMap<K, V> = std::collections::HashMap<K, V, foldhash::fast::RandomState>;
type HashSet<K> = std::collections::HashSet<K, foldhash::fast::RandomState>;

/// Runs followed at once (per generation: an idle run is forgotten after
/// two generations' worth of newer ones).
const MAX_RUNS: usize = 50_000;
/// Traces remembered (which run each belongs to, whether its root came).
const MAX_TRACES: usize = 100_000;
/// Span ids remembered to drop a re-sent request's spans (per generation).
const MAX_SEEN: usize = 1 << 18;
/// Tool call ids remembered per run (retries are found among these).
const MAX_CALL_IDS: usize = 4_096;
/// Tool names listed per run.
const MAX_TOOLS: usize = 64;
/// Exception events read per span.
const MAX_EXCEPTIONS: usize = 8;
/// A span time more than this after receipt is not believed.
const FUTURE_SLACK_SECS: i64 = 86_400;

/// Which runs a span's run is: 0 for this source's own, `i + 1` for a run
/// of `links[i].source`.
type RunKey = (u8, Short);

/// How the mapping reads spans (from the source's options).
#[derive(Debug, Clone)]
pub struct MapOptions {
    pub source: String,
    pub agent_class: Vec<String>,
    pub workflow: Vec<String>,
    pub links: Vec<Link>,
    pub quiet: chrono::Duration,
    pub content: bool,
    pub max_spans: usize,
}

impl MapOptions {
    pub fn new(source: &str, o: &Options) -> MapOptions {
        MapOptions {
            source: source.to_string(),
            agent_class: o.agent_class.clone(),
            workflow: o.workflow.clone(),
            links: o.links.iter().take(254).cloned().collect(),
            quiet: chrono::Duration::from_std(o.quiet).unwrap_or(chrono::Duration::seconds(120)),
            content: o.content,
            max_spans: o.max_spans,
        }
    }
}

/// What became of one request.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Outcome {
    pub accepted: usize,
    /// Spans refused (partial success): over the per-request cap, or
    /// without valid ids.
    pub rejected: usize,
    /// Said to the sender (and marked in the timeline when spans were
    /// rejected).
    pub message: String,
}

/// A run as the mapping keeps it.
#[derive(Debug)]
struct Info {
    agent: Short,
    agent_from_root: bool,
    class: Short,
    workflow: Short,
    user: Short,
    assignment: String,
    state: RunState,
    started: Option<Time>,
    updated: Option<Time>,
    tools: Vec<Short>,
    stats: RunStats,
    /// When a span of it last arrived (receipt time: quiet is about the
    /// wire, not the sender's clock).
    last_seen: Time,
    quiet: bool,
    /// Hashes of the tool call ids seen.
    call_ids: HashSet<u64>,
    dirty: bool,
}

impl Info {
    fn new(now: Time) -> Info {
        Info {
            agent: Short::default(),
            agent_from_root: false,
            class: Short::default(),
            workflow: Short::default(),
            user: Short::default(),
            assignment: String::new(),
            state: RunState::Running,
            started: None,
            updated: None,
            tools: Vec::new(),
            stats: RunStats::default(),
            last_seen: now,
            quiet: false,
            call_ids: HashSet::default(),
            dirty: true,
        }
    }

    fn ended(&self) -> bool {
        matches!(self.state, RunState::Succeeded | RunState::Failed)
    }
}

#[derive(Debug, Clone)]
struct TraceInfo {
    run: RunKey,
    root_seen: bool,
}

/// A map that forgets its least recently used half when full: entries
/// touched stay in the current generation, the previous one is dropped
/// whole when the current fills.
#[derive(Debug)]
struct TwoGen<K, V> {
    cur: HashMap<K, V>,
    old: HashMap<K, V>,
    cap: usize,
}

impl<K: Hash + Eq + Clone, V> TwoGen<K, V> {
    fn new(cap: usize) -> Self {
        TwoGen {
            cur: HashMap::default(),
            old: HashMap::default(),
            cap,
        }
    }

    fn get_mut(&mut self, k: &K) -> Option<&mut V> {
        if !self.cur.contains_key(k) {
            let v = self.old.remove(k)?;
            self.put(k.clone(), v);
        }
        self.cur.get_mut(k)
    }

    fn put(&mut self, k: K, v: V) {
        if self.cur.len() >= self.cap {
            self.old = std::mem::take(&mut self.cur);
        }
        self.cur.insert(k, v);
    }

    fn iter_mut(&mut self) -> impl Iterator<Item = (&K, &mut V)> {
        self.cur.iter_mut().chain(self.old.iter_mut())
    }

    fn len(&self) -> usize {
        self.cur.len() + self.old.len()
    }
}

/// Span identities seen lately, hashed with a per-process key (so a
/// sender cannot aim collisions at it), in two generations.
#[derive(Debug)]
struct Seen {
    cur: HashSet<u64>,
    old: HashSet<u64>,
}

impl Seen {
    /// True when new.
    fn insert(&mut self, h: u64) -> bool {
        if self.cur.contains(&h) || self.old.contains(&h) {
            return false;
        }
        if self.cur.len() >= MAX_SEEN {
            self.old = std::mem::take(&mut self.cur);
        }
        self.cur.insert(h)
    }
}

/// What a span is, by the GenAI conventions first, then OpenInference.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Role {
    Tool,
    Model,
    Agent,
    Workflow,
    Retrieval,
    Other,
}

fn role(k: &Known) -> Role {
    match span::as_str(val(k.op)) {
        Some("execute_tool") => return Role::Tool,
        Some("chat") | Some("text_completion") | Some("generate_content") => return Role::Model,
        Some("invoke_agent") | Some("create_agent") => return Role::Agent,
        Some("invoke_workflow") => return Role::Workflow,
        _ => {}
    }
    match span::as_str(val(k.oi_kind))
        .map(str::to_ascii_uppercase)
        .as_deref()
    {
        Some("TOOL") => Role::Tool,
        Some("LLM") => Role::Model,
        Some("AGENT") => Role::Agent,
        Some("CHAIN") => Role::Workflow,
        Some("RETRIEVER") => Role::Retrieval,
        _ => Role::Other,
    }
}

/// CLASSIFICATION PLUG POINT — the one place an OTLP tool call is judged
/// outbound (and, once issue 15's rules land, money / data write /
/// user-facing). Replace the body with the configurable rules
/// (`model::classify::Rules::classify(tool, Some(args))`) and set the
/// event's flags from its verdict; everything else in this module already
/// fills `tool`, `target` and `data.args` for them. Until then: the same
/// tool-name heuristic the LangGraph and Temporal adapters use.
///
/// `args` is the arguments' JSON text (`serde_json::from_str` it for rules
/// that look at argument keys).
fn classify(tool: &str, _args: Option<&str>) -> bool {
    const OUTBOUND: [&str; 5] = ["send", "email", "post", "publish", "notify"];
    let t = tool.to_ascii_lowercase();
    OUTBOUND.iter().any(|o| t.contains(o))
}

/// What a tool call reaches from its arguments (`to`, `recipient(s)`,
/// `url`, `channel`), when the span has no `url.full` /
/// `server.address` / `messaging.destination.name`.
fn arg_target(args: &str) -> Option<Short> {
    /// Only those keys are read (the rest skipped, not built).
    #[derive(serde::Deserialize)]
    struct Reach {
        to: Option<Value>,
        recipient: Option<Value>,
        recipients: Option<Value>,
        url: Option<Value>,
        channel: Option<Value>,
    }
    let r: Reach = serde_json::from_str(args).ok()?;
    let v = [r.to, r.recipient, r.recipients, r.url, r.channel]
        .into_iter()
        .flatten()
        .next()?;
    let s = match v {
        Value::String(s) => s.clone(),
        Value::Array(a) => a
            .iter()
            .filter_map(Value::as_str)
            .take(3)
            .collect::<Vec<_>>()
            .join(","),
        _ => return None,
    };
    let s = sanitize::line(&s, MAX_SHORT);
    (!s.is_empty()).then(|| Short::new(s))
}

fn time(nanos: u64) -> Option<Time> {
    let n = i64::try_from(nanos).ok().filter(|n| *n > 0)?;
    Some(chrono::DateTime::from_timestamp_nanos(n))
}

/// The spans' own times when believable; else the receipt time, said so.
struct Times {
    start: Time,
    end: Time,
    note: &'static str,
}

fn times(s: &Span, now: Time) -> Times {
    let limit = now + chrono::Duration::seconds(FUTURE_SLACK_SECS);
    let ok = |t: Option<Time>| t.filter(|t| *t <= limit);
    match (
        ok(time(s.start_time_unix_nano)),
        ok(time(s.end_time_unix_nano)),
    ) {
        (Some(a), Some(b)) => Times {
            start: a,
            end: b.max(a),
            note: "",
        },
        (Some(a), None) => Times {
            start: a,
            end: a,
            note: " [end time missing or invalid]",
        },
        (None, Some(b)) => Times {
            start: b,
            end: b,
            note: " [start time missing or invalid]",
        },
        (None, None) => Times {
            start: now,
            end: now,
            note: " [time missing or invalid; shown at receipt]",
        },
    }
}

/// The span's name without the operation prefix the conventions put
/// there (`invoke_agent refund-agent` → `refund-agent`).
fn strip_op<'a>(name: &'a str, op: &str) -> &'a str {
    name.strip_prefix(op)
        .map(str::trim_start)
        .filter(|s| !s.is_empty())
        .unwrap_or(name)
}

const STATUS_ERROR: i32 = 2;
/// Span flags: the parent's remoteness is known, and it is remote.
const PARENT_REMOTE: u32 = 0x300;

pub struct Mapper {
    opts: MapOptions,
    runs: TwoGen<RunKey, Info>,
    traces: TwoGen<[u8; 16], TraceInfo>,
    /// The run each conversation id belongs to.
    convs: TwoGen<Short, RunKey>,
    seen: Seen,
    keyed: foldhash::fast::RandomState,
    events: Vec<Event>,
    linked: Vec<Linked>,
    dirty: Vec<RunKey>,
    /// Rejected since the last drain, and why (marked in the timeline).
    rejected: usize,
    rejected_why: String,
}

impl Mapper {
    pub fn new(opts: MapOptions) -> Mapper {
        Mapper {
            opts,
            runs: TwoGen::new(MAX_RUNS),
            traces: TwoGen::new(MAX_TRACES),
            convs: TwoGen::new(MAX_RUNS),
            seen: Seen {
                cur: HashSet::default(),
                old: HashSet::default(),
            },
            keyed: foldhash::fast::RandomState::default(),
            events: Vec::new(),
            linked: Vec::new(),
            dirty: Vec::new(),
            rejected: 0,
            rejected_why: String::new(),
        }
    }

    pub fn source(&self) -> &str {
        &self.opts.source
    }

    /// Events mapped and not yet taken.
    pub fn pending(&self) -> usize {
        self.events.len() + self.linked.len()
    }

    /// Runs followed now.
    pub fn followed(&self) -> usize {
        self.runs.len()
    }

    /// Map one export request.
    pub fn map(&mut self, req: &ExportTraceServiceRequest, now: Time) -> Outcome {
        let mut out = Outcome::default();
        let (mut over, mut bad_ids) = (0usize, 0usize);
        // Spans that are not agent telemetry, of traces not known yet: a
        // later span of the same request may make the trace a run.
        let mut later: Vec<(&Span, &[KeyValue])> = Vec::new();
        for rs in &req.resource_spans {
            let res: &[KeyValue] = rs
                .resource
                .as_ref()
                .map(|r| r.attributes.as_slice())
                .unwrap_or(&[]);
            for s in rs.scope_spans.iter().flat_map(|ss| &ss.spans) {
                if out.accepted >= self.opts.max_spans {
                    over += 1;
                    continue;
                }
                let (Ok(trace), true) = (
                    <[u8; 16]>::try_from(s.trace_id.as_slice()),
                    s.span_id.len() == 8,
                ) else {
                    bad_ids += 1;
                    continue;
                };
                if trace == [0; 16] || s.span_id.iter().all(|b| *b == 0) {
                    bad_ids += 1;
                    continue;
                }
                out.accepted += 1;
                if !self.one(s, trace, res, now, false) {
                    later.push((s, res));
                }
            }
        }
        for (s, res) in later {
            if let Ok(trace) = <[u8; 16]>::try_from(s.trace_id.as_slice()) {
                self.one(s, trace, res, now, true);
            }
        }
        out.rejected = over + bad_ids;
        let mut why = Vec::new();
        if over > 0 {
            why.push(format!(
                "{over} spans over the {} a request may carry: send smaller batches (Collector: batch processor send_batch_max_size)",
                self.opts.max_spans
            ));
        }
        if bad_ids > 0 {
            why.push(format!(
                "{bad_ids} spans without a valid trace id (16 bytes) and span id (8 bytes)"
            ));
        }
        out.message = why.join("; ");
        if out.rejected > 0 {
            self.rejected += out.rejected;
            self.rejected_why = out.message.clone();
        }
        out
    }

    /// Map one span; false when it was left for later (not agent
    /// telemetry, its trace not a run yet). With `last`, such a span is
    /// dropped instead.
    fn one(&mut self, s: &Span, trace: [u8; 16], res: &[KeyValue], now: Time, last: bool) -> bool {
        let k = Known::read(&s.attributes);
        let known_trace = self.traces.get_mut(&trace).is_some();
        if !known_trace && !k.relevant {
            return last;
        }
        if !self.seen.insert(self.keyed.hash_one((&trace, &s.span_id))) {
            // Sent again (a retried request): already mapped.
            return true;
        }
        let (thex, shex) = (const_hex::encode(trace), const_hex::encode(&s.span_id));
        let ids = Ids {
            key: &span_key(&trace, &s.span_id),
            thex: &thex,
            shex: &shex,
        };
        let key = self.run_of(trace, &ids, s, res, &k, now);
        self.span(s, &k, res, trace, key, &ids, now);
        true
    }

    /// The run a span belongs to: its trace's, else a new one (by
    /// conversation when the span names one, else by trace), or a run of
    /// a linked source when the span names one.
    #[allow(clippy::too_many_arguments)]
    fn run_of(
        &mut self,
        trace: [u8; 16],
        ids: &Ids,
        s: &Span,
        res: &[KeyValue],
        k: &Known,
        now: Time,
    ) -> RunKey {
        let link = self.link_of(&s.attributes, res);
        let conv = span::short(val(k.conversation));
        let key = match self.traces.get_mut(&trace) {
            Some(t) => {
                let was = t.run.clone();
                match link {
                    Some(l) if was.0 == 0 => {
                        // The trace names its platform's run only now:
                        // later spans go there; what came is kept here.
                        t.run = l.clone();
                        let at = times(s, now).start;
                        let name = &self.opts.links[l.0 as usize - 1].source;
                        let ev = self.event(
                            &was,
                            ids.key,
                            ".l",
                            at,
                            EventKind::StateChange,
                            format!(
                                "this trace names {name} run {}: its later spans show on that run",
                                l.1
                            ),
                        );
                        self.push(&was, ev);
                        // Not left `running` with nothing more to come:
                        // it shows where its work went.
                        if let Some(info) = self.runs.get_mut(&was) {
                            info.state = RunState::Other("linked".into());
                            if !info.dirty {
                                info.dirty = true;
                                self.dirty.push(was.clone());
                            }
                        }
                        l
                    }
                    _ => was,
                }
            }
            None => {
                let known = conv.as_ref().and_then(|c| self.convs.get_mut(c).cloned());
                let key = link
                    .or(known)
                    .or_else(|| conv.clone().map(|c| (0, c)))
                    .unwrap_or_else(|| (0, Short::new(ids.thex)));
                self.traces.put(
                    trace,
                    TraceInfo {
                        run: key.clone(),
                        root_seen: false,
                    },
                );
                key
            }
        };
        // Later traces of this conversation join this run (the id may
        // only show on a span after the run began, e.g. on its root).
        if let Some(c) = conv
            && self.convs.get_mut(&c).is_none()
        {
            self.convs.put(c, key.clone());
        }
        if self.runs.get_mut(&key).is_none() {
            self.runs.put(key.clone(), Info::new(now));
            self.dirty.push(key.clone());
        }
        key
    }

    fn link_of(&self, attrs: &[KeyValue], res: &[KeyValue]) -> Option<RunKey> {
        self.opts.links.iter().enumerate().find_map(|(i, l)| {
            let v = span::lookup(attrs, &l.attr).or_else(|| span::lookup(res, &l.attr))?;
            let id = sanitize::line_cow(&v, MAX_SHORT);
            (!id.is_empty()).then(|| (i as u8 + 1, Short::new(id)))
        })
    }

    /// The first configured attribute found (span, then resource), clean.
    fn configured(keys: &[String], attrs: &[KeyValue], res: &[KeyValue]) -> Option<Short> {
        keys.iter().find_map(|key| {
            let v = span::lookup(attrs, key).or_else(|| span::lookup(res, key))?;
            let s = sanitize::line_cow(&v, MAX_SHORT);
            (!s.is_empty()).then(|| Short::new(s))
        })
    }

    #[allow(clippy::too_many_arguments)]
    fn span(
        &mut self,
        s: &Span,
        k: &Known,
        res: &[KeyValue],
        trace: [u8; 16],
        key: RunKey,
        ids: &Ids,
        now: Time,
    ) {
        let (thex, shex) = (ids.thex, ids.shex);
        let t = times(s, now);
        let role = role(k);
        let is_root = s.parent_span_id.is_empty() || s.flags & PARENT_REMOTE == PARENT_REMOTE;
        let root_seen = self
            .traces
            .get_mut(&trace)
            .map(|t| {
                let was = t.root_seen;
                t.root_seen |= is_root;
                was
            })
            .unwrap_or(false);
        let name = sanitize::line(&s.name, MAX_SHORT);
        let errors = errors(s, k, t.end);
        let id_data = || DataText::new().ids(thex, shex).done();
        let call = (role == Role::Tool).then(|| {
            let tool = span::short(val(k.tool))
                .unwrap_or_else(|| Short::new(strip_op(&name, "execute_tool")));
            let raw = val(k.args).or(val(k.input));
            let args = raw.map(span::json_text);
            // As the agent wrote them (its key order), for the timeline.
            let shown = span::line(raw, 200).unwrap_or_default();
            let id = span::short(val(k.call_id));
            let id_hash = id.as_ref().map(|c| self.keyed.hash_one(c.as_str()));
            let outbound = classify(&tool, args.as_deref());
            let target =
                span::short(val(k.target)).or_else(|| args.as_deref().and_then(arg_target));
            ToolCall {
                tool,
                args,
                shown,
                id,
                id_hash,
                outbound,
                target,
            }
        });
        let (class, workflow) = (&self.opts.agent_class, &self.opts.workflow);
        let Some(info) = self.runs.get_mut(&key) else {
            return;
        };
        let was = (info.state.clone(), info.stats.clone(), info.tools.len());
        let mut changed = false;
        info.last_seen = now;
        if info.quiet || (!is_root && !root_seen && info.ended()) {
            // Spans again (after quiet, or a new turn of a conversation).
            info.quiet = false;
            info.state = RunState::Running;
        }
        if info.started.is_none_or(|a| t.start < a) {
            info.started = Some(t.start);
            changed = true;
        }
        if info.updated.is_none_or(|b| t.end > b) {
            info.updated = Some(t.end);
            changed = true;
        }
        let agent = span::short(val(k.agent)).or_else(|| {
            (is_root && matches!(role, Role::Agent | Role::Workflow))
                .then(|| Short::new(strip_op(&name, "invoke_agent")))
        });
        if let Some(a) = agent
            && (info.agent.is_empty() || (is_root && !info.agent_from_root))
        {
            changed |= info.agent != a;
            info.agent = a;
            info.agent_from_root = is_root;
        }
        if (info.class.is_empty() || is_root)
            && let Some(c) = Self::configured(class, &s.attributes, res)
        {
            changed |= info.class != c;
            info.class = c;
        }
        if info.workflow.is_empty() || is_root {
            let wf = Self::configured(workflow, &s.attributes, res).or_else(|| {
                (span::as_str(val(k.op)) == Some("invoke_workflow"))
                    .then(|| Short::new(strip_op(&name, "invoke_workflow")))
            });
            if let Some(w) = wf {
                changed |= info.workflow != w;
                info.workflow = w;
            }
        }
        if info.user.is_empty()
            && let Some(u) = span::short(val(k.user))
        {
            info.user = u;
            changed = true;
        }
        let mut retry = false;
        if let Some(c) = &call {
            if let Some(h) = c.id_hash {
                retry = info.call_ids.contains(&h);
                if !retry && info.call_ids.len() < MAX_CALL_IDS {
                    info.call_ids.insert(h);
                }
            }
            let st = &mut info.stats;
            st.tool_calls = st.tool_calls.plus(1);
            st.retries = st.retries.plus(retry as u64);
            st.external_actions = st.external_actions.plus(c.outbound as u64);
            if info.tools.len() < MAX_TOOLS && !info.tools.contains(&c.tool) {
                info.tools.push(c.tool.clone());
            }
        }
        info.stats.errors = info.stats.errors.plus(errors.len() as u64);
        let mut assignment = None;
        let failed = s.status.as_ref().is_some_and(|st| st.code == STATUS_ERROR);
        if is_root {
            if info.assignment.is_empty()
                && let Some(a) = val(k.input).and_then(|v| span::message_text(v, "user", MAX_TEXT))
            {
                info.assignment = a.clone();
                assignment = Some(a);
                changed = true;
            }
            if !root_seen {
                info.state = if failed {
                    RunState::Failed
                } else {
                    RunState::Succeeded
                };
            }
        }
        changed |= (info.state.clone(), info.stats.clone(), info.tools.len()) != was;
        if changed && !info.dirty {
            info.dirty = true;
            self.dirty.push(key.clone());
        }

        let mut out: Vec<Draft> = Vec::new();
        let err_name = match &call {
            Some(c) => c.tool.to_string(),
            None if role == Role::Model => span::short(val(k.model))
                .map(|m| format!("{m} call"))
                .unwrap_or_else(|| "model call".into()),
            None => name.clone(),
        };
        if let Some(c) = call {
            if retry {
                let id = c.id.as_deref().unwrap_or("");
                out.push(
                    Draft::new(
                        ".y",
                        t.start,
                        EventKind::Retry,
                        format!("retry: {} call {id} again", c.tool),
                    )
                    .tool(&c.tool)
                    .data(DataText::new().str("call_id", id).ids(thex, shex).done()),
                );
            }
            let shown = &c.shown;
            let mut call_ev = Draft::new(
                "",
                t.start,
                EventKind::ToolCall,
                format!("{}({shown}){}", c.tool, t.note),
            )
            .tool(&c.tool)
            .data(
                DataText::new()
                    .json("args", c.args.as_deref())
                    .str("call_id", c.id.as_deref().unwrap_or(""))
                    .ids(thex, shex)
                    .done(),
            );
            call_ev.target = c.target.clone();
            call_ev.outbound = c.outbound;
            out.push(call_ev);
            if errors.is_empty() {
                let result = val(k.result).or(val(k.output));
                let summary = match result.and_then(|r| span::message_text(r, "", 200)) {
                    Some(r) => format!("{} → {r}", c.tool),
                    None => format!("{} returned", c.tool),
                };
                let mut r = Draft::new(".r", t.end, EventKind::ToolResult, summary)
                    .tool(&c.tool)
                    .data(
                        DataText::new()
                            .json("result", result.map(span::json_text).as_deref())
                            .ids(thex, shex)
                            .done(),
                    );
                r.target = c.target;
                out.push(r);
            }
        }
        // A model's words: the output messages, not OpenInference's
        // serialized result (a model turn that only calls tools has no
        // words; its call shows as the tool's span).
        let words = k.output.filter(|(v, rank)| {
            *rank != span::OI_OUTPUT
                || span::as_str(Some(v)).is_some_and(|s| !s.trim_start().starts_with(['{', '[']))
        });
        if role == Role::Model
            && self.opts.content
            && let Some(text) =
                val(words).and_then(|v| span::message_text(v, "assistant", MAX_TEXT))
        {
            let model = span::short(val(k.model));
            out.push(
                Draft::new(".o", t.end, EventKind::ModelOutput, text).data(
                    DataText::new()
                        .str("model", model.as_deref().unwrap_or(""))
                        .ids(thex, shex)
                        .done(),
                ),
            );
        }
        if role == Role::Retrieval
            && let Some(q) = span::line(val(k.input), 200)
        {
            out.push(
                Draft::new(
                    ".q",
                    t.end,
                    EventKind::Retrieval,
                    format!("retrieved for: {q}"),
                )
                .data(id_data()),
            );
        }
        for (suffix, (at, msg, stack)) in ERR_SUFFIX.iter().zip(&errors) {
            let mut e = Draft::new(
                suffix,
                *at,
                EventKind::Error,
                format!("{err_name} failed: {msg}"),
            )
            .data(
                DataText::new()
                    .ids(thex, shex)
                    .str("stacktrace", stack.as_deref().unwrap_or(""))
                    .done(),
            );
            if role == Role::Tool {
                e.tool = Some(Short::new(&err_name));
            }
            out.push(e);
        }
        if is_root {
            if let Some(a) = assignment {
                out.push(Draft::new(".a", t.start, EventKind::Assignment, a).data(id_data()));
            }
            let how = match (failed, errors.first()) {
                (false, _) => "succeeded".to_string(),
                (true, Some((_, m, _))) => format!("failed: {m}"),
                (true, None) => "failed".to_string(),
            };
            let what = if key.0 == 0 {
                "run ended"
            } else {
                "agent span ended"
            };
            out.push(
                Draft::new(
                    ".z",
                    t.end,
                    EventKind::StateChange,
                    format!("{what} ({name}): {how}"),
                )
                .data(id_data()),
            );
        }
        for d in out {
            let mut ev = self.event(&key, ids.key, d.suffix, d.at, d.kind, d.summary);
            ev.tool = d.tool;
            ev.target = d.target;
            ev.outbound = d.outbound;
            ev.data = d.data;
            self.push(&key, ev);
        }
    }

    #[allow(clippy::too_many_arguments)]
    fn event(
        &self,
        key: &RunKey,
        span: &str,
        suffix: &str,
        at: Time,
        kind: EventKind,
        summary: String,
    ) -> Event {
        // Linked events go into another source's timeline: their ids are
        // kept apart from that platform's own, and they say where they
        // came from.
        let (id, summary) = if key.0 == 0 {
            (compact_str::format_compact!("{span}{suffix}"), summary)
        } else {
            (
                compact_str::format_compact!("{}/{span}{suffix}", self.opts.source),
                format!("[{}] {summary}", self.opts.source),
            )
        };
        bare(id, key.1.clone(), at, kind, &summary)
    }

    fn push(&mut self, key: &RunKey, event: Event) {
        if key.0 == 0 {
            self.events.push(event);
        } else {
            let source = self.opts.links[key.0 as usize - 1].source.clone();
            self.linked.push(Linked { source, event });
        }
    }

    /// Runs with no span for the quiet threshold show `quiet`: not ended,
    /// not known to be working either.
    pub fn tick(&mut self, now: Time) {
        let quiet = self.opts.quiet;
        let mut went: Vec<(RunKey, Time, bool)> = Vec::new();
        for (key, info) in self.runs.iter_mut() {
            if key.0 == 0 && info.state == RunState::Running && now - info.last_seen > quiet {
                info.state = RunState::Other("quiet".into());
                info.quiet = true;
                went.push((key.clone(), info.last_seen, !info.dirty));
                info.dirty = true;
            }
        }
        let secs = quiet.num_seconds();
        for (key, last, newly) in went {
            if newly {
                self.dirty.push(key.clone());
            }
            let id = compact_str::format_compact!("{}.q{}", key.1, last.timestamp_millis());
            let summary = format!(
                "quiet: no span for {secs} s; not ended (spans are sent when they end, so a long step looks like this too)"
            );
            self.events.push(bare(
                id,
                key.1.clone(),
                now,
                EventKind::StateChange,
                &summary,
            ));
        }
    }

    /// Take what was mapped: changed runs (this source's own), events, and
    /// events for linked sources' runs; a mark when spans were rejected.
    pub fn drain(&mut self, now: Time) -> (Vec<Run>, Vec<Event>, Vec<Linked>) {
        if self.rejected > 0 {
            let (n, why) = (self.rejected, std::mem::take(&mut self.rejected_why));
            self.rejected = 0;
            self.notice(
                now,
                EventKind::Error,
                format!("receiver rejected {n} spans (the sender will not resend them): {why}"),
            );
        }
        let mut runs = Vec::new();
        for key in std::mem::take(&mut self.dirty) {
            let source = self.opts.source.clone();
            let Some(info) = self.runs.get_mut(&key) else {
                continue;
            };
            info.dirty = false;
            if key.0 != 0 {
                continue;
            }
            runs.push(Run {
                source: source.into(),
                id: key.1.clone(),
                agent: info.agent.clone(),
                agent_class: info.class.clone(),
                workflow: info.workflow.clone(),
                state: info.state.clone(),
                started_at: info.started,
                updated_at: info.updated,
                assignment: info.assignment.clone(),
                requested_by: info.user.clone(),
                tools: info.tools.clone(),
                credentials: Vec::new(),
                stats: info.stats.clone(),
                canary: false,
            });
        }
        (
            runs,
            std::mem::take(&mut self.events),
            std::mem::take(&mut self.linked),
        )
    }

    /// A receiver notice: in this source's timeline, on no run.
    pub fn notice(&mut self, now: Time, kind: EventKind, summary: String) {
        let id = compact_str::format_compact!(
            "rx-{}-{}",
            now.timestamp_nanos_opt().unwrap_or_default(),
            self.events.len()
        );
        self.events.push(bare(id, "-".into(), now, kind, &summary));
    }
}

/// An event with only its id, run, time, kind and (cleaned) summary.
fn bare(id: Short, run_id: Short, at: Time, kind: EventKind, summary: &str) -> Event {
    Event {
        id,
        run_id,
        at,
        kind,
        summary: Short::new(sanitize::line_cow(summary, MAX_TEXT)),
        tool: None,
        target: None,
        outbound: false,
        reversible: None,
        data: Data::default(),
    }
}

/// Event id suffixes of a span's errors (at most [`MAX_EXCEPTIONS`] + 1).
const ERR_SUFFIX: [&str; MAX_EXCEPTIONS + 1] =
    [".e", ".e1", ".e2", ".e3", ".e4", ".e5", ".e6", ".e7", ".e8"];

/// A span's ids as text: hex trace and span ids (in every event's data,
/// to find the span in a tracing backend) and its key in event ids.
struct Ids<'a> {
    key: &'a str,
    thex: &'a str,
    shex: &'a str,
}

/// A span's key in event ids: 16 hex digits of SHA-256 over its trace and
/// span ids. The same on every delivery and after a restart (a re-sent
/// span is not stored twice), distinct even where trace ids share a
/// prefix (X-Ray style time-first ids) or span ids repeat across traces,
/// and short enough for an id to stay inline.
pub fn span_key(trace: &[u8], span: &[u8]) -> String {
    use sha2::{Digest, Sha256};
    let h = Sha256::new()
        .chain_update(trace)
        .chain_update(span)
        .finalize();
    const_hex::encode(&h[..8])
}

/// A tool call as read from its span.
struct ToolCall {
    tool: Short,
    /// The arguments as JSON text.
    args: Option<String>,
    shown: String,
    id: Option<Short>,
    id_hash: Option<u64>,
    outbound: bool,
    target: Option<Short>,
}

/// An event before it has its id and run.
struct Draft {
    suffix: &'static str,
    at: Time,
    kind: EventKind,
    summary: String,
    tool: Option<Short>,
    target: Option<Short>,
    outbound: bool,
    data: Data,
}

impl Draft {
    fn new(suffix: &'static str, at: Time, kind: EventKind, summary: String) -> Draft {
        Draft {
            suffix,
            at,
            kind,
            summary,
            tool: None,
            target: None,
            outbound: false,
            data: Data::default(),
        }
    }

    fn tool(mut self, tool: &Short) -> Draft {
        self.tool = Some(tool.clone());
        self
    }

    fn data(mut self, data: Data) -> Draft {
        self.data = data;
        self
    }
}

/// A span's errors: each `exception` event (type: message, and its
/// stack trace for the inspector), else its ERROR status (message, or
/// `error.type`). An exception recorded on a span that did not fail is
/// said to be so.
fn errors(s: &Span, k: &Known, end: Time) -> Vec<(Time, String, Option<String>)> {
    let failed = s.status.as_ref().is_some_and(|st| st.code == STATUS_ERROR);
    let mut out: Vec<(Time, String, Option<String>)> = s
        .events
        .iter()
        .filter(|e| e.name == "exception")
        .take(MAX_EXCEPTIONS)
        .map(|e| {
            let get =
                |key: &str| span::lookup(&e.attributes, key).map(|v| sanitize::line(&v, MAX_TEXT));
            let msg = match (get("exception.type"), get("exception.message")) {
                (Some(t), Some(m)) => format!("{t}: {m}"),
                (Some(t), None) => t,
                (None, Some(m)) => m,
                (None, None) => "exception (no type or message)".into(),
            };
            let msg = if failed {
                msg
            } else {
                format!("{msg} (recorded; the span did not fail)")
            };
            let stack = span::lookup(&e.attributes, "exception.stacktrace")
                .map(|v| sanitize::text(&v, MAX_TEXT));
            (time(e.time_unix_nano).unwrap_or(end), msg, stack)
        })
        .collect();
    if out.is_empty() && failed {
        let msg = s
            .status
            .as_ref()
            .map(|st| sanitize::line(&st.message, MAX_TEXT))
            .filter(|m| !m.is_empty())
            .or_else(|| span::line(val(k.error_type), MAX_SHORT))
            .unwrap_or_else(|| "error (no message)".into());
        out.push((end, msg, None));
    }
    out
}

/// Event data written as JSON text (no tree), then cleaned by the path
/// every platform's data takes (`Data::from_wire`: as it is when it is
/// short, printable and shallow; through the sanitizer otherwise). Empty
/// fields are left out.
struct DataText(String);

impl DataText {
    fn new() -> DataText {
        DataText(String::with_capacity(128))
    }

    fn key(&mut self, k: &str) {
        self.0.push(if self.0.is_empty() { '{' } else { ',' });
        self.0.push('"');
        self.0.push_str(k);
        self.0.push_str("\":");
    }

    fn str(mut self, k: &str, v: &str) -> DataText {
        if !v.is_empty() {
            self.key(k);
            // Escaped as JSON (a string cannot fail to serialize).
            let _ = serde_json::to_writer(string_writer(&mut self.0), v);
        }
        self
    }

    /// `v` is JSON text ([`span::json_text`]).
    fn json(mut self, k: &str, v: Option<&str>) -> DataText {
        if let Some(v) = v.filter(|v| !v.is_empty()) {
            self.key(k);
            self.0.push_str(v);
        }
        self
    }

    fn ids(self, thex: &str, shex: &str) -> DataText {
        self.str("trace_id", thex).str("span_id", shex)
    }

    fn done(mut self) -> Data {
        if self.0.is_empty() {
            return Data::default();
        }
        self.0.push('}');
        Data::from_wire(serde_json::value::RawValue::from_string(self.0).ok())
    }
}

/// Write JSON into a `String` through `io::Write`.
fn string_writer(s: &mut String) -> impl std::io::Write + '_ {
    struct W<'a>(&'a mut String);
    impl std::io::Write for W<'_> {
        fn write(&mut self, b: &[u8]) -> std::io::Result<usize> {
            // serde_json writes whole UTF-8 sequences of a valid &str.
            self.0
                .push_str(std::str::from_utf8(b).map_err(std::io::Error::other)?);
            Ok(b.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }
    W(s)
}

#[cfg(test)]
mod tests {
    use super::super::fixture::{agent_run, at, failed, request, s, span};
    use super::*;

    fn now(secs: u64) -> Time {
        time(at(secs)).unwrap()
    }

    fn mapper(url: &str) -> Mapper {
        let o = Options::parse(url).unwrap();
        Mapper::new(MapOptions::new("otel", &o))
    }

    fn default_mapper() -> Mapper {
        mapper("http://127.0.0.1:4318")
    }

    fn kinds(events: &[Event]) -> Vec<&str> {
        events.iter().map(|e| e.kind.as_str()).collect()
    }

    #[test]
    fn an_agent_run_becomes_a_run_with_tool_calls_then_ends() {
        let mut m = default_mapper();
        let mut spans = agent_run(
            7,
            "refund-agent",
            &[(
                "send_email",
                r#"{"to":"all-customers@example.com","subject":"refund"}"#,
            )],
        );
        let root = spans.pop().unwrap();
        let out = m.map(&request("support-bot", spans), now(5));
        assert_eq!((out.accepted, out.rejected), (2, 0));
        let (runs, events, linked) = m.drain(now(5));
        assert!(linked.is_empty());
        assert_eq!(runs.len(), 1);
        let r = &runs[0];
        assert_eq!(r.id, format!("{:032x}", 7));
        assert_eq!(r.state, RunState::Running, "running until the root ends");
        assert_eq!(r.agent_class, "support-bot");
        assert_eq!(r.stats.tool_calls.get(), Some(1));
        assert_eq!(r.stats.external_actions.get(), Some(1));
        assert_eq!(kinds(&events), ["tool_call", "tool_result"]);
        let call = &events[0];
        assert!(call.outbound, "send_email leaves the system");
        assert_eq!(call.tool.as_deref(), Some("send_email"));
        assert_eq!(call.target.as_deref(), Some("all-customers@example.com"));
        assert_eq!(call.data.value()["args"]["subject"], "refund");
        assert_eq!(call.at, now(1));
        assert!(call.summary.starts_with("send_email({"));
        // No content captured: the chat span gave no model output.
        m.map(&request("support-bot", vec![root]), now(6));
        let (runs, events, _) = m.drain(now(6));
        assert_eq!(runs[0].state, RunState::Succeeded);
        assert_eq!(runs[0].agent, "refund-agent");
        assert_eq!(kinds(&events), ["state_change"]);
        assert!(events[0].summary.contains("run ended"));
    }

    #[test]
    fn a_failing_tool_is_an_error_with_its_message_and_a_failed_root_fails_the_run() {
        let mut m = default_mapper();
        let tool = failed(
            span(
                9,
                2,
                Some(1),
                "execute_tool charge_card",
                (1, 2),
                vec![
                    s("gen_ai.operation.name", "execute_tool"),
                    s("gen_ai.tool.name", "charge_card"),
                ],
            ),
            "PaymentDeclined",
            "card 4242 declined",
        );
        let root = failed(
            span(
                9,
                1,
                None,
                "invoke_agent billing",
                (0, 3),
                vec![s("gen_ai.operation.name", "invoke_agent")],
            ),
            "PaymentDeclined",
            "card 4242 declined",
        );
        m.map(&request("billing-svc", vec![tool, root]), now(4));
        let (runs, events, _) = m.drain(now(4));
        assert_eq!(runs[0].state, RunState::Failed);
        assert_eq!(runs[0].agent, "billing", "from the root span's name");
        assert_eq!(runs[0].stats.errors.get(), Some(2));
        assert_eq!(
            kinds(&events),
            ["tool_call", "error", "error", "state_change"]
        );
        assert_eq!(
            events[1].summary,
            "charge_card failed: PaymentDeclined: card 4242 declined"
        );
        assert_eq!(events[1].tool.as_deref(), Some("charge_card"));
        assert!(events[3].summary.contains("failed: PaymentDeclined"));
    }

    #[test]
    fn the_same_tool_call_id_again_is_a_retry() {
        let mut m = default_mapper();
        let call = |id: u64, t: u64| {
            span(
                3,
                id,
                Some(1),
                "execute_tool fetch",
                (t, t + 1),
                vec![
                    s("gen_ai.operation.name", "execute_tool"),
                    s("gen_ai.tool.name", "fetch"),
                    s("gen_ai.tool.call.id", "call_1"),
                ],
            )
        };
        m.map(
            &request("a", vec![failed(call(2, 1), "Timeout", "slow")]),
            now(2),
        );
        m.map(&request("a", vec![call(3, 3)]), now(4));
        let (runs, events, _) = m.drain(now(4));
        assert_eq!(runs[0].stats.retries.get(), Some(1));
        assert_eq!(runs[0].stats.tool_calls.get(), Some(2));
        assert_eq!(
            kinds(&events),
            ["tool_call", "error", "retry", "tool_call", "tool_result"]
        );
    }

    #[test]
    fn a_resent_request_maps_nothing_twice() {
        let mut m = default_mapper();
        let req = request("a", agent_run(5, "x", &[("lookup", "{}")]));
        m.map(&req, now(1));
        let (_, first, _) = m.drain(now(1));
        m.map(&req, now(2));
        let (runs, again, _) = m.drain(now(2));
        assert_eq!(first.len(), 3);
        assert!(again.is_empty() && runs.is_empty(), "{again:?}");
    }

    #[test]
    fn a_conversation_is_one_run_across_traces() {
        let mut m = default_mapper();
        let conv = s("gen_ai.conversation.id", "conv-42");
        let turn = |trace: u128, t: u64| {
            vec![
                span(
                    trace,
                    2,
                    Some(1),
                    "execute_tool lookup",
                    (t, t + 1),
                    vec![
                        s("gen_ai.operation.name", "execute_tool"),
                        s("gen_ai.tool.name", "lookup"),
                        conv.clone(),
                    ],
                ),
                span(
                    trace,
                    1,
                    None,
                    "invoke_agent helper",
                    (t, t + 2),
                    vec![s("gen_ai.operation.name", "invoke_agent"), conv.clone()],
                ),
            ]
        };
        m.map(&request("a", turn(1, 0)), now(3));
        let (runs, _, _) = m.drain(now(3));
        assert_eq!(
            (runs[0].id.as_str(), &runs[0].state),
            ("conv-42", &RunState::Succeeded)
        );
        // The next turn's first span: the same run, working again.
        let mut second = turn(2, 10);
        let root = second.pop().unwrap();
        m.map(&request("a", second), now(11));
        let (runs, _, _) = m.drain(now(11));
        assert_eq!(
            (runs[0].id.as_str(), &runs[0].state),
            ("conv-42", &RunState::Running)
        );
        m.map(&request("a", vec![root]), now(12));
        let (runs, _, _) = m.drain(now(12));
        assert_eq!(runs[0].state, RunState::Succeeded);
        assert_eq!(runs[0].stats.tool_calls.get(), Some(2));
    }

    #[test]
    fn a_run_that_goes_quiet_shows_quiet_never_ended_and_wakes_again() {
        let mut m = mapper("http://127.0.0.1:4318?quiet=30");
        let mut spans = agent_run(4, "slow", &[("lookup", "{}")]);
        let root = spans.pop().unwrap();
        m.map(&request("a", spans), now(0));
        m.drain(now(0));
        m.tick(now(20));
        assert!(m.drain(now(20)).0.is_empty(), "not yet");
        m.tick(now(31));
        let (runs, events, _) = m.drain(now(31));
        assert_eq!(runs[0].state, RunState::Other("quiet".into()));
        assert!(!runs[0].state.is_active() && runs[0].state != RunState::Succeeded);
        assert!(
            events[0]
                .summary
                .starts_with("quiet: no span for 30 s; not ended")
        );
        m.tick(now(60));
        assert!(m.drain(now(60)).1.is_empty(), "said once");
        m.map(&request("a", vec![root]), now(61));
        let (runs, _, _) = m.drain(now(61));
        assert_eq!(runs[0].state, RunState::Succeeded);
    }

    #[test]
    fn openinference_spans_map_too() {
        let mut m = default_mapper();
        let spans = vec![
            span(
                8,
                3,
                Some(2),
                "ChatModel",
                (1, 2),
                vec![
                    s("openinference.span.kind", "LLM"),
                    s("llm.model_name", "fake"),
                    s(
                        "llm.output_messages.0.message.content",
                        "I will email them.",
                    ),
                ],
            ),
            span(
                8,
                4,
                Some(2),
                "send_email",
                (2, 3),
                vec![
                    s("openinference.span.kind", "TOOL"),
                    s("tool.name", "send_email"),
                    s("input.value", r#"{"to":"a@example.com"}"#),
                    s("output.value", "sent"),
                ],
            ),
            span(
                8,
                2,
                None,
                "RunnableSequence",
                (0, 4),
                vec![
                    s("openinference.span.kind", "CHAIN"),
                    s(
                        "input.value",
                        r#"{"messages":[{"role":"user","content":"tell the customers"}]}"#,
                    ),
                    s("session.id", "sess-1"),
                ],
            ),
        ];
        m.map(&request("lc-app", spans), now(5));
        let (runs, events, _) = m.drain(now(5));
        assert_eq!(
            kinds(&events),
            [
                "model_output",
                "tool_call",
                "tool_result",
                "assignment",
                "state_change"
            ]
        );
        assert_eq!(events[0].summary, "I will email them.");
        assert!(events[1].outbound);
        assert_eq!(events[2].summary, "send_email → sent");
        let r = &runs[0];
        // The session showed only on the root, which came last: the run
        // is the trace's, and the session's next trace joins it.
        assert_eq!(r.id, format!("{:032x}", 8));
        assert_eq!(r.assignment, "tell the customers");
        assert_eq!(r.agent, "RunnableSequence");
        assert_eq!(r.state, RunState::Succeeded);
        let next = span(
            9,
            3,
            Some(2),
            "ChatModel",
            (6, 7),
            vec![
                s("openinference.span.kind", "LLM"),
                s("session.id", "sess-1"),
            ],
        );
        m.map(&request("lc-app", vec![next]), now(8));
        let (runs, _, _) = m.drain(now(8));
        assert_eq!(
            (runs[0].id.as_str(), &runs[0].state),
            (r.id.as_str(), &RunState::Running)
        );
    }

    #[test]
    fn model_output_only_with_content_on() {
        let chat = || {
            vec![span(
                6,
                2,
                Some(1),
                "chat m",
                (0, 1),
                vec![
                    s("gen_ai.operation.name", "chat"),
                    s(
                        "gen_ai.output.messages",
                        r#"[{"role":"assistant","parts":[{"type":"text","content":"secret plan"}]}]"#,
                    ),
                ],
            )]
        };
        let mut on = default_mapper();
        on.map(&request("a", chat()), now(1));
        assert_eq!(on.drain(now(1)).1[0].summary, "secret plan");
        let mut off = mapper("http://127.0.0.1:4318?content=off");
        off.map(&request("a", chat()), now(1));
        assert!(off.drain(now(1)).1.is_empty());
    }

    #[test]
    fn a_span_naming_a_controllable_run_files_its_evidence_there() {
        let mut m = mapper("http://127.0.0.1:4318?link=tm:temporalWorkflowID");
        let mut spans = agent_run(2, "refunds", &[("send_email", "{}")]);
        for sp in &mut spans {
            sp.attributes.push(s("temporalWorkflowID", "wf-refund-7"));
        }
        m.map(&request("worker", spans), now(9));
        let (runs, events, linked) = m.drain(now(9));
        assert!(
            runs.is_empty() && events.is_empty(),
            "the platform's run is the run"
        );
        assert!(
            linked
                .iter()
                .all(|l| l.source == "tm" && l.event.run_id == "wf-refund-7")
        );
        assert_eq!(
            linked
                .iter()
                .map(|l| l.event.kind.as_str())
                .collect::<Vec<_>>(),
            ["tool_call", "tool_result", "state_change"]
        );
        assert!(linked[0].event.id.starts_with("otel/"));
        assert!(linked[0].event.summary.starts_with("[otel] send_email("));
        assert!(linked[2].event.summary.contains("agent span ended"));
    }

    #[test]
    fn a_link_seen_late_moves_the_rest_and_says_so() {
        let mut m = mapper("http://127.0.0.1:4318?link=lg:metadata.run_id");
        let mut spans = agent_run(3, "graph", &[("a", "{}"), ("b", "{}")]);
        spans[3]
            .attributes
            .push(s("metadata", r#"{"run_id":"run-1","thread_id":"t"}"#));
        m.map(&request("svc", spans), now(9));
        let (runs, events, linked) = m.drain(now(9));
        assert_eq!(runs.len(), 1);
        assert_eq!(kinds(&events), ["tool_call", "tool_result", "state_change"]);
        assert!(events[2].summary.contains("names lg run run-1"));
        assert_eq!(runs[0].state, RunState::Other("linked".into()));
        assert!(linked.iter().all(|l| l.event.run_id == "run-1"));
        assert_eq!(linked.len(), 3, "b's call and result, the end");
    }

    #[test]
    fn plain_spans_make_no_run_but_end_an_agent_trace() {
        let mut m = default_mapper();
        let http = |trace: u128, id: u64, parent: Option<u64>| {
            span(
                trace,
                id,
                parent,
                "GET /health",
                (0, 1),
                vec![s("http.request.method", "GET")],
            )
        };
        m.map(
            &request("web", vec![http(11, 1, None), http(11, 2, Some(1))]),
            now(1),
        );
        assert!(m.drain(now(1)).0.is_empty());
        // HTTP child first, then the agent, then the HTTP root: one run,
        // ended by its root.
        let mut spans = vec![http(12, 9, Some(2))];
        spans.extend(
            agent_run(12, "a", &[("t", "{}")])
                .into_iter()
                .map(|mut sp| {
                    if sp.parent_span_id.is_empty() {
                        sp.parent_span_id = 5u64.to_be_bytes().to_vec();
                    }
                    sp
                }),
        );
        spans.push(http(12, 5, None));
        m.map(&request("web", spans), now(2));
        let (runs, _, _) = m.drain(now(2));
        assert_eq!(runs.len(), 1);
        assert_eq!(runs[0].state, RunState::Succeeded);
        assert_eq!(runs[0].agent, "a");
    }

    #[test]
    fn over_the_cap_or_without_ids_is_rejected_and_marked() {
        let mut m = mapper("http://127.0.0.1:4318?max_spans=2");
        let mut spans = agent_run(1, "a", &[("x", "{}"), ("y", "{}")]);
        let mut bad = spans[0].clone();
        bad.trace_id = vec![0; 16];
        spans.insert(0, bad);
        let out = m.map(&request("a", spans), now(1));
        assert_eq!((out.accepted, out.rejected), (2, 4));
        assert!(out.message.contains("over the 2 a request may carry"));
        assert!(out.message.contains("1 spans without a valid trace id"));
        let (_, events, _) = m.drain(now(1));
        let mark = events.last().unwrap();
        assert_eq!((mark.run_id.as_str(), mark.kind.as_str()), ("-", "error"));
        assert!(mark.summary.starts_with("receiver rejected 4 spans"));
    }

    #[test]
    fn hostile_text_is_cleaned_and_cut_and_bad_times_said() {
        let mut m = default_mapper();
        let mut sp = span(
            1,
            2,
            Some(1),
            "execute_tool x",
            (1, 2),
            vec![
                s("gen_ai.operation.name", "execute_tool"),
                s("gen_ai.tool.name", "rm\u{1b}[2J\u{202e}-rf"),
                s("gen_ai.tool.call.arguments", &"A".repeat(5 << 20)),
            ],
        );
        sp.start_time_unix_nano = u64::MAX;
        sp.end_time_unix_nano = 0;
        m.map(&request("a\u{7}b", vec![sp]), now(3));
        let (runs, events, _) = m.drain(now(3));
        assert_eq!(runs[0].agent_class, "ab");
        let call = &events[0];
        assert_eq!(call.tool.as_deref(), Some("rm-rf"));
        assert!(call.summary.contains(sanitize::TRUNCATED));
        assert!(
            call.summary
                .ends_with("[time missing or invalid; shown at receipt]")
        );
        assert_eq!(call.at, now(3));
        let args = call.data.value()["args"].as_str().unwrap().to_string();
        assert!(args.len() < MAX_TEXT + 64 && args.ends_with(sanitize::TRUNCATED));
    }

    #[test]
    fn events_of_traces_sharing_span_ids_and_an_id_prefix_stay_apart() {
        let mut m = default_mapper();
        let mut spans = agent_run(0x1000_0001, "a", &[("t", "{}")]);
        spans.extend(agent_run(0x1000_0002, "b", &[("t", "{}")]));
        m.map(&request("s", spans), now(1));
        let (runs, events, _) = m.drain(now(1));
        let ids: HashSet<&str> = events.iter().map(|e| e.id.as_str()).collect();
        assert_eq!((runs.len(), events.len(), ids.len()), (2, 6, 6));
        assert!(
            ids.iter().all(|id| id.len() <= 24),
            "ids stay inline: {ids:?}"
        );
    }

    #[test]
    fn maps_stay_bounded() {
        let mut g: TwoGen<u32, u32> = TwoGen::new(3);
        for i in 0..10 {
            g.put(i, i);
            // Touching 0 keeps it.
            assert!(g.get_mut(&0).is_some());
        }
        assert!(g.len() <= 6);
        assert!(g.get_mut(&1).is_none());
    }
}
