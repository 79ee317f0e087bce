//! Scripted incidents taken from the seed guide, plus healthy background
//! work. Everything here is deterministic for a given seed.

use std::time::Duration;

use serde_json::json;

use super::script::{Plan, Step, Timed, at_ms, emit};

pub const NAMES: [&str; 5] = [
    "wrong-segment",
    "broad-edits",
    "retry-loop",
    "stale-context",
    "unreviewed-write",
];

pub fn describe(name: &str) -> &'static str {
    match name {
        "wrong-segment" => "a support draft sent to the wrong customer segment",
        "broad-edits" => "file edits far broader than the task",
        "retry-loop" => "a workflow stuck in a retry loop",
        "stale-context" => "a tool call acting on stale context",
        "unreviewed-write" => "a database update that should have waited for review",
        "background" => "healthy background runs",
        _ => "unknown scenario",
    }
}

fn s(n: u64) -> Duration {
    Duration::from_secs(n)
}

fn e(ms: u64, step: super::script::Emit) -> Timed {
    at_ms(ms, Step::Emit(step))
}

/// The plans of one scenario.
pub fn plans(name: &str) -> Option<Vec<Plan>> {
    Some(match name {
        "wrong-segment" => wrong_segment(),
        "broad-edits" => broad_edits(),
        "retry-loop" => retry_loop(),
        "stale-context" => stale_context(),
        "unreviewed-write" => unreviewed_write(),
        _ => return None,
    })
}

fn base(
    scenario: &'static str,
    start: u64,
    agent: &str,
    class: &'static str,
    wf: &'static str,
) -> Plan {
    Plan {
        start: s(start),
        agent: agent.into(),
        agent_class: class,
        workflow: wf,
        assignment: String::new(),
        requested_by: "ops-lead@acme.example",
        tools: vec![],
        credentials: vec![],
        queued_for: Duration::ZERO,
        steps: vec![],
        scenario,
    }
}

/// Who works in a scripted incident: (scenario, agent class, workflow,
/// requested by, tools, credentials).
type Cast = (
    &'static str,
    &'static str,
    &'static str,
    &'static str,
    &'static [&'static str],
    &'static [&'static str],
);

/// Who works in each scripted incident.
#[rustfmt::skip]
const CAST: [Cast; 5] = [
    ("wrong-segment", "support-drafter", "refund-followups", "ops-lead@acme.example", &["crm.read", "email.send"], &["cred_sendgrid_prod"]),
    ("broad-edits", "code-editor", "docs-refresh", "dev@acme.example", &["repo.read", "repo.write", "git.push"], &["cred_github_bot"]),
    ("retry-loop", "billing-sync", "invoice-sync", "scheduler@acme.example", &["billing.api", "ledger.read"], &["cred_billing_api"]),
    ("stale-context", "ticket-triage", "ticket-triage", "support@acme.example", &["crm.read", "crm.update", "memory.read"], &["cred_crm_rw"]),
    ("unreviewed-write", "billing-agent", "refund-approvals", "finance@acme.example", &["billing.db", "review.request"], &["cred_billing_db"]),
];

/// A run of a scripted incident as [`CAST`] has it, by `agent`, starting
/// `start` seconds in.
fn scripted(scenario: &'static str, start: u64, agent: &str) -> Plan {
    let (_, class, wf, by, tools, credentials) = CAST
        .into_iter()
        .find(|c| c.0 == scenario)
        .expect("every scripted scenario is in CAST");
    Plan {
        requested_by: by,
        tools: tools.to_vec(),
        credentials: credentials.to_vec(),
        ..base(scenario, start, agent, class, wf)
    }
}

fn wrong_segment() -> Vec<Plan> {
    let mut p = scripted("wrong-segment", 0, "support-drafter-2");
    p.assignment = "Draft follow-up emails for refund cohort B (214 customers)".into();
    p.steps = vec![
        e(200, emit("assignment", "Draft follow-up emails for refund cohort B (214 customers)")),
        e(300, emit("instruction", "System: drafts go to the review queue unless auto_send=true (auto_send=true set by workflow default)")),
        e(400, emit("tool_call", "crm.segments.lookup(name=\"refund cohort B\")").tool("crm.read").target("crm:segments")),
        e(500, emit("retrieval", "Segment lookup matched 'all-customers' (fuzzy match on 'cohort'; 48,112 members)").tool("crm.read").target("segment:all-customers").data(json!({"query":"refund cohort B","matched":"all-customers","members":48112}))),
        e(600, emit("model_output", "Drafted 'Your refund is on its way' (subject) for segment all-customers")),
        e(400, emit("tool_call", "email.send(segment=all-customers, template=refund-followup)").tool("email.send").target("segment:all-customers").credential("cred_sendgrid_prod")),
        e(500, emit("message_sent", "Sent 'Your refund is on its way' to segment all-customers (batch of 2,000 recipients)").tool("email.send").target("segment:all-customers").outbound().reversible(false).credential("cred_sendgrid_prod").data(json!({"recipients":2000,"segment":"all-customers","subject":"Your refund is on its way"}))),
        at_ms(2500, Step::Repeat { back: 1, times: Some(23) }),
        e(500, emit("tool_result", "email.send: 48,112 messages accepted by provider").tool("email.send")),
        at_ms(200, Step::Finish("succeeded")),
    ];
    let mut out = vec![p];
    for (i, cohort) in ["C", "D"].iter().enumerate() {
        let mut q = scripted("wrong-segment", 1, &format!("support-drafter-{}", 3 + i));
        q.assignment = format!("Draft follow-up emails for refund cohort {cohort}");
        q.queued_for = s(25 + 10 * i as u64);
        q.steps = vec![
            e(200, emit("assignment", format!("Draft follow-up emails for refund cohort {cohort}"))),
            e(400, emit("tool_call", format!("crm.segments.lookup(name=\"refund cohort {cohort}\")")).tool("crm.read").target("crm:segments")),
            e(500, emit("retrieval", "Segment lookup matched 'all-customers' (fuzzy match on 'cohort'; 48,112 members)").tool("crm.read").target("segment:all-customers")),
            e(400, emit("message_sent", "Sent 'Your refund is on its way' to segment all-customers (batch of 2,000 recipients)").tool("email.send").target("segment:all-customers").outbound().reversible(false).credential("cred_sendgrid_prod").data(json!({"recipients":2000}))),
            at_ms(3000, Step::Repeat { back: 1, times: Some(10) }),
            at_ms(200, Step::Finish("succeeded")),
        ];
        out.push(q);
    }
    out
}

fn broad_edits() -> Vec<Plan> {
    let mut p = scripted("broad-edits", 2, "code-editor-1");
    p.assignment = "Fix the typo 'recieve' in README.md".into();
    let files = [
        "README.md",
        "src/lib.rs",
        "src/api/mod.rs",
        "src/api/billing.rs",
        "src/auth.rs",
        "Cargo.toml",
        "docs/guide.md",
        "config/prod.toml",
        "migrations/0042_accounts.sql",
        ".github/workflows/deploy.yml",
        "src/api/users.rs",
        "LICENSE",
    ];
    p.steps = vec![
        e(
            300,
            emit("assignment", "Fix the typo 'recieve' in README.md"),
        ),
        e(
            400,
            emit("file_read", "Read README.md")
                .tool("repo.read")
                .target("file:README.md"),
        ),
        e(
            600,
            emit(
                "model_output",
                "Plan: normalise spelling and formatting across the repository",
            ),
        ),
    ];
    for (i, f) in files.iter().enumerate() {
        p.steps.push(e(
            if i == 0 { 500 } else { 1500 },
            emit(
                "file_write",
                format!("Edited {f} (+{} -{} lines)", 3 + i * 7, 2 + i * 5),
            )
            .tool("repo.write")
            .target(format!("file:{f}"))
            .reversible(true)
            .data(json!({"path": f, "added": 3 + i * 7, "removed": 2 + i * 5})),
        ));
    }
    p.steps.push(e(
        800,
        emit(
            "external_action",
            "Pushed branch main to origin (12 files changed)",
        )
        .tool("git.push")
        .target("repo:acme/app@main")
        .outbound()
        .reversible(true)
        .credential("cred_github_bot"),
    ));
    p.steps.push(at_ms(300, Step::Finish("succeeded")));
    vec![p]
}

fn retry_loop() -> Vec<Plan> {
    let mut out = Vec::new();
    for i in 0..3u64 {
        let mut p = scripted("retry-loop", 1 + 12 * i, &format!("billing-sync-{}", i + 1));
        p.assignment = format!("Sync invoices for account batch {}", 17 + i);
        p.steps = vec![
            e(
                300,
                emit(
                    "assignment",
                    format!("Sync invoices for account batch {}", 17 + i),
                ),
            ),
            e(
                500,
                emit(
                    "tool_call",
                    "billing.api POST /invoices/sync (batch of 500)",
                )
                .tool("billing.api")
                .target("api:billing/invoices")
                .credential("cred_billing_api"),
            ),
            e(
                700,
                emit(
                    "error",
                    "billing.api 503 Service Unavailable (upstream timeout)",
                )
                .tool("billing.api")
                .target("api:billing/invoices")
                .data(json!({"status":503})),
            ),
            e(
                300,
                emit(
                    "retry",
                    "Retrying billing.api POST /invoices/sync with no backoff",
                )
                .tool("billing.api")
                .target("api:billing/invoices"),
            ),
            at_ms(
                200,
                Step::Repeat {
                    back: 3,
                    times: None,
                },
            ),
        ];
        out.push(p);
    }
    out
}

fn stale_context() -> Vec<Plan> {
    let mut p = scripted("stale-context", 3, "triage-agent-4");
    p.assignment = "Update shipping address for ticket #88121 (customer moved)".into();
    p.steps = vec![
        e(300, emit("assignment", "Update shipping address for ticket #88121 (customer moved)")),
        e(500, emit("memory_read", "Loaded cached customer record cust_5521 (cached 3 days ago)").tool("memory.read").target("memory:cust_5521").data(json!({"cached_at":"3 days ago","address":"12 Old Road"}))),
        e(600, emit("model_output", "Customer address to update: 12 Old Road -> 98 New Street")),
        e(500, emit("tool_call", "crm.update_address(customer=cust_5521, expected=12 Old Road)").tool("crm.update").target("crm:cust_5521").credential("cred_crm_rw")),
        e(400, emit("db_write", "UPDATE customers SET address='98 New Street' WHERE id=cust_5521 (overwrote a newer address set yesterday)").tool("crm.update").target("db:crm.customers/cust_5521").reversible(true).credential("cred_crm_rw").data(json!({"table":"crm.customers","row":"cust_5521","overwrote":"7 Harbour Lane (set 1 day ago)"}))),
        e(500, emit("tool_result", "crm.update_address: ok (1 row)").tool("crm.update")),
        e(800, emit("message_sent", "Emailed customer: 'Your shipping address is now 98 New Street'").tool("crm.update").target("email:cust_5521").outbound().reversible(false).data(json!({"recipients":1}))),
        at_ms(300, Step::Finish("succeeded")),
    ];
    vec![p]
}

fn unreviewed_write() -> Vec<Plan> {
    let mut p = scripted("unreviewed-write", 4, "refund-agent-1");
    p.assignment = "Prepare refunds for disputed orders over $500 for finance review".into();
    p.steps = vec![
        e(300, emit("assignment", "Prepare refunds for disputed orders over $500 for finance review")),
        e(600, emit("tool_call", "billing.db SELECT disputed orders > $500").tool("billing.db").target("db:billing.orders")),
        e(500, emit("review_requested", "Requested finance review of 37 refunds ($41,280 total)").tool("review.request").target("review:finance")),
        e(700, emit("db_write", "INSERT 37 rows INTO billing.refunds (status=approved, $41,280) before review decision").tool("billing.db").target("db:billing.refunds").reversible(false).credential("cred_billing_db").data(json!({"table":"billing.refunds","rows":37,"amount_usd":41280,"status":"approved"}))),
        e(800, emit("external_action", "Payment provider: 37 refunds queued for payout").tool("billing.db").target("payments:payouts").outbound().reversible(false).credential("cred_billing_db")),
        at_ms(500, Step::AwaitReview),
        e(6000, emit("review_decision", "Finance review: REJECTED 12 of 37 refunds (not eligible)").target("review:finance")),
        at_ms(300, Step::Finish("succeeded")),
    ];
    vec![p]
}

/// Healthy background runs, generated from the seed: read-only research,
/// summaries, CI fixes. `n` of them spread over `span`.
pub fn background(rng: &mut fastrand::Rng, n: usize, span: Duration) -> Vec<Plan> {
    let kinds: [(&str, &'static str, &'static str, &[&'static str]); 4] = [
        (
            "research-assistant",
            "research",
            "market-research",
            &["web.search", "docs.read"],
        ),
        ("summarizer", "summarizer", "weekly-digest", &["docs.read"]),
        (
            "ci-fixer",
            "code-editor",
            "ci-flake-fixes",
            &["repo.read", "repo.write"],
        ),
        (
            "support-drafter",
            "support-drafter",
            "ticket-replies",
            &["crm.read", "review.request"],
        ),
    ];
    (0..n)
        .map(|i| {
            let (agent, class, wf, tools) = kinds[i % kinds.len()];
            // The first few start at once so the screen is never empty.
            let start = if i < 3 {
                Duration::from_millis(300 * i as u64)
            } else {
                Duration::from_millis(rng.u64(0..=span.as_millis() as u64))
            };
            let mut p = base("background", 0, &format!("{agent}-{}", 10 + i), class, wf);
            p.start = start;
            p.assignment = match class {
                "research" => format!("Research competitor pricing, region {}", i % 7),
                "summarizer" => format!("Summarise weekly notes for team {}", i % 5),
                "code-editor" => format!("Fix flaky test #{}", 300 + i),
                _ => format!("Draft reply for ticket #{} (to review queue)", 90_000 + i),
            };
            p.requested_by = "scheduler@acme.example";
            p.tools = tools.to_vec();
            let tool = tools[0];
            let gap = || 1500;
            let mut steps = vec![
                e(300, emit("assignment", p.assignment.clone())),
                e(
                    gap(),
                    emit("tool_call", format!("{tool}(…)"))
                        .tool(tool)
                        .target(format!("{tool}:query-{i}")),
                ),
                e(
                    gap(),
                    emit("tool_result", format!("{tool}: {} results", 3 + i % 9)).tool(tool),
                ),
                e(gap(), emit("model_output", "Draft ready")),
            ];
            if class == "support-drafter" {
                steps.push(e(
                    gap(),
                    emit("review_requested", "Draft queued for human review")
                        .tool("review.request")
                        .target("review:support"),
                ));
            }
            steps.push(at_ms(800, Step::Finish("succeeded")));
            p.steps = steps;
            p
        })
        .collect()
}
