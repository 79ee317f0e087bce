"""LLM-free agents for cordon's real-peer tests, written the way users write
them: a ReAct tool-calling agent (`create_react_agent` with a scripted chat
model instead of an LLM), a human review step with `interrupt()` resumed by
`Command(resume=...)`, and a parent graph that calls a subgraph.

The scripted model reads its plan from the first human message (JSON):
    {"plan": [[{"name": "lookup_customer", "args": {...}}], ...],
     "sleep": 0.2, "final": "done"}
Each model turn sleeps `sleep` seconds (the model "thinking"), then asks for
the next step's tool calls; after the last step it answers `final`.
No model, no network.
"""

import json
import time
import uuid
from typing import Annotated, Any, TypedDict

from langchain_core.language_models.chat_models import BaseChatModel
from langchain_core.messages import AIMessage, HumanMessage, ToolMessage
from langchain_core.outputs import ChatGeneration, ChatResult
from langchain_core.tools import tool
from langgraph.graph import END, START, StateGraph
from langgraph.graph.message import add_messages
from langgraph.prebuilt import ToolNode, create_react_agent
from langgraph.types import interrupt


class ScriptedModel(BaseChatModel):
    """A chat model that follows the plan in the conversation's first human
    message instead of calling an LLM."""

    @property
    def _llm_type(self) -> str:
        return "scripted"

    def bind_tools(self, tools: Any, **kwargs: Any) -> "ScriptedModel":
        return self

    def _generate(self, messages, stop=None, run_manager=None, **kwargs) -> ChatResult:
        human = next((m for m in messages if isinstance(m, HumanMessage)), None)
        try:
            script = json.loads(human.content) if human else {}
        except (TypeError, ValueError):
            script = {}
        time.sleep(float(script.get("sleep", 0.2)))
        turns = sum(1 for m in messages if isinstance(m, AIMessage))
        plan = script.get("plan", [])
        if turns < len(plan):
            calls = [
                {"name": c["name"], "args": c.get("args", {}), "id": "call_" + uuid.uuid4().hex[:10]}
                for c in plan[turns]
            ]
            msg = AIMessage(content=script.get("thought", ""), tool_calls=calls)
        else:
            msg = AIMessage(content=script.get("final", "done"))
        return ChatResult(generations=[ChatGeneration(message=msg)])


@tool
def lookup_customer(customer_id: str) -> str:
    """Look up a customer record."""
    return json.dumps({"customer_id": customer_id, "plan": "pro", "email": f"{customer_id}@example.com"})


@tool
def update_invoice(invoice_id: str, amount_cents: int, status: str = "adjusted") -> str:
    """Change an invoice."""
    return f"invoice {invoice_id} set to {amount_cents} ({status})"


@tool
def charge_card(customer_id: str, amount_cents: int, currency: str = "usd") -> str:
    """Charge the customer's card on file."""
    return f"charged {amount_cents} {currency} to {customer_id}"


@tool
def send_email(to: str, subject: str, body: str = "") -> str:
    """Send an email to a customer."""
    return f"sent '{subject}' to {to}"


@tool
def ledger_write(account: str, amount_cents: int) -> str:
    """Write a ledger entry."""
    raise ValueError(f"ledger write rejected: account {account} is frozen")


@tool
def slow_ledger_write(account: str, amount_cents: int, seconds: float = 1.0) -> str:
    """Write a ledger entry (slowly, and the ledger refuses)."""
    time.sleep(seconds)
    raise ValueError(f"ledger write rejected: account {account} is frozen")


@tool
def slow_search(query: str, seconds: float = 1.0) -> str:
    """Search the knowledge base (slowly)."""
    time.sleep(seconds)
    return f"3 articles about {query}"


TOOLS = [lookup_customer, update_invoice, charge_card, send_email, ledger_write, slow_ledger_write, slow_search]

# The usual prebuilt agent (a tool's exception fails the run).
react_agent = create_react_agent(ScriptedModel(), TOOLS)

# The same agent with tool errors handled: they become error tool messages
# and the model carries on.
react_forgiving = create_react_agent(ScriptedModel(), ToolNode(TOOLS, handle_tool_errors=True))


def tool_exchange(name: str, args: dict, result: str) -> list:
    """A node that calls a tool itself: the call and its result."""
    call_id = "call_" + uuid.uuid4().hex[:10]
    return [
        AIMessage(content="", tool_calls=[{"name": name, "args": args, "id": call_id}]),
        ToolMessage(content=result, tool_call_id=call_id, name=name),
    ]


class ReviewState(TypedDict, total=False):
    messages: Annotated[list, add_messages]
    draft: str
    approved: bool


def draft(state: ReviewState):
    time.sleep(0.2)
    return {"draft": "Refund of $40 approved for 3 customers", "messages": [AIMessage(content="Drafted the refund notice")]}


def review(state: ReviewState):
    decision = interrupt({"question": "Send the refund notice?", "draft": state.get("draft", "")})
    approved = bool(decision.get("approved")) if isinstance(decision, dict) else bool(decision)
    return {"approved": approved}


def send(state: ReviewState):
    if not state.get("approved"):
        return {"messages": [AIMessage(content="Not sent: the reviewer declined")]}
    return {"messages": tool_exchange("send_email", {"to": "cohort-b@example.com", "subject": "Your refund"}, "sent to 3 recipients")}


def chain(state, *nodes):
    """A graph that runs the (name, function) nodes one after the other."""
    g = StateGraph(state)
    for name, fn in nodes:
        g.add_node(name, fn)
    names = [START] + [n for n, _ in nodes] + [END]
    for a, b in zip(names, names[1:]):
        g.add_edge(a, b)
    return g.compile()


review_agent = chain(ReviewState, ("draft", draft), ("review", review), ("send", send))


class ResearchState(TypedDict, total=False):
    messages: Annotated[list, add_messages]
    sleep: float


def _step(name: str, tool_name: str, args: dict, result: str):
    def node(state: ResearchState):
        time.sleep(state.get("sleep", 0.5))
        return {"messages": tool_exchange(tool_name, args, result)}

    node.__name__ = name
    return node


research = chain(
    ResearchState,
    ("search", _step("search", "slow_search", {"query": "refund policy"}, "3 articles")),
    ("read", _step("read", "fetch_article", {"id": "kb-12"}, "Refunds within 30 days")),
    ("summarise", _step("summarise", "note_write", {"text": "30 days"}, "noted")),
)


def plan_node(state: ResearchState):
    time.sleep(state.get("sleep", 0.5))
    return {"messages": [AIMessage(content="Plan: research the policy, then report")]}


def report(state: ResearchState):
    time.sleep(state.get("sleep", 0.5))
    return {"messages": [AIMessage(content="Report: refunds are allowed within 30 days")]}


subgraph_agent = chain(ResearchState, ("plan", plan_node), ("research", research), ("report", report))
