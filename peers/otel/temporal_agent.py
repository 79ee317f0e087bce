"""An agent that runs as a Temporal workflow and is traced with the
OpenTelemetry SDK: each activity is a tool call, wrapped in a GenAI
`execute_tool` span that also carries the Temporal workflow id (the
attribute temporalio.contrib.opentelemetry's interceptor uses,
temporalWorkflowID), exported over OTLP/HTTP. cordon, with
`link=tm:temporalWorkflowID`, shows these spans on the Temporal run.

    python temporal_agent.py TEMPORAL_HOST:PORT OTLP_ENDPOINT WORKFLOW_ID

Starts a worker, starts the workflow (lookup_customer, send_email to every
customer, then wait_for_approval, which waits until cancelled), prints
"workflow waiting" once the first two tool spans are exported, and runs
until killed.
"""

import asyncio
import json
import sys
from datetime import timedelta

from opentelemetry import trace
from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor
from temporalio import activity, workflow
from temporalio.client import Client
from temporalio.worker import UnsandboxedWorkflowRunner, Worker

provider = TracerProvider(resource=Resource.create({"service.name": "refund-worker"}))
tracer = provider.get_tracer("refund-worker")


def tool_span(name, args):
    info = activity.info()
    span = tracer.start_span(f"execute_tool {name}")
    span.set_attribute("gen_ai.operation.name", "execute_tool")
    span.set_attribute("gen_ai.agent.name", "refund-agent")
    span.set_attribute("gen_ai.tool.name", name)
    span.set_attribute("gen_ai.tool.call.id", f"{info.workflow_id}/{info.activity_id}")
    span.set_attribute("gen_ai.tool.call.arguments", json.dumps(args))
    span.set_attribute("temporalWorkflowID", info.workflow_id)
    return span


@activity.defn
async def lookup_customer(customer_id: str) -> str:
    span = tool_span("lookup_customer", {"customer_id": customer_id})
    span.set_attribute("gen_ai.tool.call.result", "dana@example.com")
    span.end()
    return "dana@example.com"


@activity.defn
async def send_email(to: str) -> str:
    span = tool_span("send_email", {"to": to, "subject": "Your refund"})
    span.set_attribute("gen_ai.tool.call.result", "sent")
    span.end()
    provider.force_flush()
    print("workflow waiting", flush=True)
    return "sent"


@activity.defn
async def wait_for_approval(ticket: str) -> str:
    while True:
        activity.heartbeat()
        await asyncio.sleep(0.5)


@workflow.defn
class RefundAgent:
    @workflow.run
    async def run(self, order: str) -> str:
        await workflow.execute_activity(lookup_customer, "c-1042", start_to_close_timeout=timedelta(seconds=30))
        await workflow.execute_activity(
            send_email, "all-customers@example.com", start_to_close_timeout=timedelta(seconds=30)
        )
        await workflow.execute_activity(
            wait_for_approval,
            order,
            start_to_close_timeout=timedelta(minutes=10),
            heartbeat_timeout=timedelta(seconds=5),
        )
        return "done"


async def main() -> None:
    provider.add_span_processor(
        BatchSpanProcessor(
            OTLPSpanExporter(endpoint=sys.argv[2].rstrip("/") + "/v1/traces"), schedule_delay_millis=200
        )
    )
    trace.set_tracer_provider(provider)
    client = await Client.connect(sys.argv[1])
    queue = "otel-refunds"
    worker = Worker(
        client,
        task_queue=queue,
        workflows=[RefundAgent],
        activities=[lookup_customer, send_email, wait_for_approval],
        workflow_runner=UnsandboxedWorkflowRunner(),
    )
    async with worker:
        await client.start_workflow(RefundAgent.run, "order-1042", id=sys.argv[3], task_queue=queue)
        await asyncio.Event().wait()


if __name__ == "__main__":
    asyncio.run(main())
