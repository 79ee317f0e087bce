"""A LangChain agent with a fake chat model (no LLM), traced by the
OpenInference LangChain instrumentation (as Phoenix/Arize users run it) and
exported over OTLP/HTTP to cordon.

    python openinference_agent.py ENDPOINT

The agent (a RunnableLambda named support_agent: a CHAIN span) asks the
model, which decides to email every customer; the send_email tool runs
(a TOOL span with input.value / output.value), then the model answers.
Every span carries session.id (OpenInference's using_session). Prints
"agent done" when everything has been exported.
"""

import sys

from langchain_core.language_models.fake_chat_models import GenericFakeChatModel
from langchain_core.messages import AIMessage, HumanMessage
from langchain_core.runnables import RunnableLambda
from langchain_core.tools import tool
from openinference.instrumentation import using_session
from openinference.instrumentation.langchain import LangChainInstrumentor
from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor


@tool
def send_email(to: str, subject: str) -> str:
    """Send an email."""
    return f"sent to {to}"


def main():
    endpoint = sys.argv[1].rstrip("/") + "/v1/traces"
    provider = TracerProvider(resource=Resource.create({"service.name": "lc-support"}))
    provider.add_span_processor(
        BatchSpanProcessor(OTLPSpanExporter(endpoint=endpoint), schedule_delay_millis=200)
    )
    LangChainInstrumentor().instrument(tracer_provider=provider)

    model = GenericFakeChatModel(
        messages=iter(
            [
                AIMessage(
                    content="",
                    tool_calls=[
                        {
                            "name": "send_email",
                            "args": {"to": "all-customers@example.com", "subject": "Outage credit"},
                            "id": "call_email_oi",
                        }
                    ],
                ),
                AIMessage(content="I emailed every customer about the credit."),
            ]
        )
    )

    def agent(question):
        messages = [HumanMessage(content=question)]
        reply = model.invoke(messages)
        messages.append(reply)
        for call in reply.tool_calls:
            messages.append(send_email.invoke(call))
        return model.invoke(messages).content

    support_agent = RunnableLambda(agent, name="support_agent")
    with using_session("oi-session-1"):
        print(support_agent.invoke("Tell customers about the outage credit"), flush=True)
    provider.force_flush()
    provider.shutdown()
    print("agent done", flush=True)


if __name__ == "__main__":
    sys.exit(main())
