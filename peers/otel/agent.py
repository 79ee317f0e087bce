"""A support agent with no LLM, instrumented the way teams instrument their
own agents with the OpenTelemetry SDK: spans in the GenAI semantic
conventions (invoke_agent / chat / execute_tool, gen_ai.* attributes,
exceptions recorded by the SDK), exported over OTLP to cordon.

    python agent.py ENDPOINT [--protocol http|json|grpc] [--slow SECS] [--token T] [--record FILE]

ENDPOINT is the receiver (http://127.0.0.1:4318 or, for grpc,
127.0.0.1:4317). Runs, in order:
  1. refund-agent (conversation conv-refund-1): looks a customer up,
     emails every customer (outbound send_email), charges a card that is
     declined, retries the same call once (same tool call id), gives up:
     the run fails.
  2. triage-agent (conversation conv-triage-1): looks up a ticket and
     answers; succeeds.
With --slow, each step sleeps that long (to watch it live) and a third
agent, watcher-agent, keeps working until the process is stopped.
With --record, every span the SDK ends is also written to FILE as a JSON
line (the agent's own account, for differential checks). Prints "agent
done" when every span has been exported.
"""

import argparse
import json
import sys
import time

from opentelemetry import trace
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import (
    BatchSpanProcessor,
    SimpleSpanProcessor,
    SpanExporter,
    SpanExportResult,
)
from opentelemetry.trace import SpanKind, Status, StatusCode


def exporter(protocol, endpoint, token):
    headers = {"authorization": f"Bearer {token}"} if token else None
    if protocol == "grpc":
        from opentelemetry.exporter.otlp.proto.grpc.trace_exporter import OTLPSpanExporter

        return OTLPSpanExporter(endpoint=endpoint, insecure=True, headers=headers)
    url = endpoint.rstrip("/") + "/v1/traces"
    if protocol == "json":
        from opentelemetry.exporter.otlp.json.http.trace_exporter import OTLPSpanExporter

        return OTLPSpanExporter(endpoint=url, headers=headers)
    from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter

    return OTLPSpanExporter(endpoint=url, headers=headers)


class Recorder(SpanExporter):
    """Each ended span as a JSON line: what the agent itself exported."""

    def __init__(self, path):
        self.out = open(path, "w")

    def export(self, spans):
        for s in spans:
            self.out.write(
                json.dumps(
                    {
                        "trace_id": format(s.context.trace_id, "032x"),
                        "span_id": format(s.context.span_id, "016x"),
                        "name": s.name,
                        "attributes": dict(s.attributes),
                        "status": s.status.status_code.name,
                        "start": s.start_time,
                        "end": s.end_time,
                        "exceptions": [
                            dict(e.attributes) for e in s.events if e.name == "exception"
                        ],
                    }
                )
                + "\n"
            )
        self.out.flush()
        return SpanExportResult.SUCCESS


class Declined(Exception):
    pass


tracer = None
SLOW = 0.0


def step():
    if SLOW:
        time.sleep(SLOW)


# --- tools: plain functions, traced like any instrumented tool call ---------

def lookup_customer(customer_id):
    return {"id": customer_id, "email": "dana@example.com", "tier": "gold"}


def send_email(to, subject, body):
    return {"sent": True, "recipients": 48213 if to == "all-customers@example.com" else 1}


def charge_card(card, amount_cents):
    raise Declined(f"card {card[-4:]} declined (insufficient funds)")


def lookup_ticket(ticket):
    return {"ticket": ticket, "status": "open", "priority": "p2"}


TOOLS = {f.__name__: f for f in (lookup_customer, send_email, charge_card, lookup_ticket)}


def call_tool(name, call_id, args):
    with tracer.start_as_current_span(f"execute_tool {name}", kind=SpanKind.INTERNAL) as span:
        span.set_attribute("gen_ai.operation.name", "execute_tool")
        span.set_attribute("gen_ai.tool.name", name)
        span.set_attribute("gen_ai.tool.call.id", call_id)
        span.set_attribute("gen_ai.tool.type", "function")
        span.set_attribute("gen_ai.tool.call.arguments", json.dumps(args))
        step()
        result = TOOLS[name](**args)
        span.set_attribute("gen_ai.tool.call.result", json.dumps(result))
        return result


# --- the "model": scripted decisions, traced as chat calls -----------------

def chat(agent, conversation, turn, decision):
    with tracer.start_as_current_span("chat fake-model", kind=SpanKind.CLIENT) as span:
        span.set_attribute("gen_ai.operation.name", "chat")
        span.set_attribute("gen_ai.provider.name", "fake")
        span.set_attribute("gen_ai.request.model", "fake-model")
        span.set_attribute("gen_ai.conversation.id", conversation)
        span.set_attribute("gen_ai.agent.name", agent)
        span.set_attribute("gen_ai.usage.input_tokens", 120 + turn)
        span.set_attribute("gen_ai.usage.output_tokens", 30)
        step()
        return decision


def invoke_agent(agent, conversation, user, request, plan):
    """The agent loop: ask the model, run the tools it picks, retry a
    declined charge once with the same call id, then answer."""
    with tracer.start_as_current_span(f"invoke_agent {agent}", kind=SpanKind.INTERNAL) as span:
        span.set_attribute("gen_ai.operation.name", "invoke_agent")
        span.set_attribute("gen_ai.agent.name", agent)
        span.set_attribute("gen_ai.conversation.id", conversation)
        span.set_attribute("enduser.id", user)
        span.set_attribute(
            "gen_ai.input.messages",
            json.dumps([{"role": "user", "parts": [{"type": "text", "content": request}]}]),
        )
        for turn, (name, call_id, args) in enumerate(plan):
            chat(agent, conversation, turn, (name, args))
            for attempt in range(2):
                try:
                    call_tool(name, call_id, args)
                    break
                except Declined:
                    if attempt == 1:
                        raise
        return "done"


def main():
    global tracer, SLOW
    p = argparse.ArgumentParser()
    p.add_argument("endpoint")
    p.add_argument("--protocol", default="http", choices=["http", "json", "grpc"])
    p.add_argument("--slow", type=float, default=0.0)
    p.add_argument("--token")
    p.add_argument("--record")
    a = p.parse_args()
    SLOW = a.slow
    provider = TracerProvider(
        resource=Resource.create({"service.name": "support-bot", "deployment.environment": "prod"})
    )
    provider.add_span_processor(
        BatchSpanProcessor(exporter(a.protocol, a.endpoint, a.token), schedule_delay_millis=200)
    )
    if a.record:
        provider.add_span_processor(SimpleSpanProcessor(Recorder(a.record)))
    trace.set_tracer_provider(provider)
    tracer = trace.get_tracer("support-bot.agent", "1.0")

    try:
        invoke_agent(
            "refund-agent",
            "conv-refund-1",
            "ops@example.com",
            "Refund order 1042 and tell the customer",
            [
                ("lookup_customer", "call_lookup_1", {"customer_id": "c-1042"}),
                (
                    "send_email",
                    "call_email_1",
                    {
                        "to": "all-customers@example.com",
                        "subject": "Your refund",
                        "body": "Your refund of $40 is on its way.",
                    },
                ),
                ("charge_card", "call_charge_1", {"card": "4000000000009995", "amount_cents": 4000}),
            ],
        )
    except Declined as e:
        print(f"refund-agent failed: {e}", flush=True)
    invoke_agent(
        "triage-agent",
        "conv-triage-1",
        "ops@example.com",
        "Triage ticket T-77",
        [("lookup_ticket", "call_ticket_1", {"ticket": "T-77"})],
    )
    provider.force_flush()
    if a.slow:
        print("agent done (watcher-agent keeps working)", flush=True)
        n = 0
        while True:
            n += 1
            invoke_agent(
                "watcher-agent",
                f"conv-watch-{n}",
                "cron",
                f"Check the refund queue (pass {n})",
                [("lookup_ticket", f"call_watch_{n}", {"ticket": f"T-{100 + n}"})],
            )
    provider.shutdown()
    print("agent done", flush=True)


if __name__ == "__main__":
    sys.exit(main())
