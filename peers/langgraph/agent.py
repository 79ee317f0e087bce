"""An LLM-free agent graph for cordon's real-peer tests.

It behaves like a small support agent: plans, "calls" a CRM tool, drafts,
and "sends" an email, sleeping between steps so a run stays running long
enough to be watched, stopped or rolled back. No model, no network.
"""

import time
import uuid
from typing import Annotated, TypedDict

from langchain_core.messages import AIMessage, ToolMessage
from langgraph.graph import END, START, StateGraph
from langgraph.graph.message import add_messages


class State(TypedDict, total=False):
    messages: Annotated[list, add_messages]
    steps: int
    sleep: float
    loops: int


def plan(state: State):
    time.sleep(state.get("sleep", 0.5))
    return {"messages": [AIMessage(content="Plan: look up the cohort, draft, send")], "steps": state.get("steps", 0) + 1}


def call_tool(state: State):
    time.sleep(state.get("sleep", 0.5))
    call_id = "call_" + uuid.uuid4().hex[:8]
    return {
        "messages": [
            AIMessage(content="", tool_calls=[{"name": "crm_lookup", "args": {"segment": "refund cohort B"}, "id": call_id}]),
            ToolMessage(content="matched segment all-customers (48112 members)", tool_call_id=call_id),
        ],
        "steps": state.get("steps", 0) + 1,
    }


def send_email(state: State):
    time.sleep(state.get("sleep", 0.5))
    call_id = "call_" + uuid.uuid4().hex[:8]
    return {
        "messages": [
            AIMessage(content="", tool_calls=[{"name": "email_send", "args": {"segment": "all-customers", "subject": "Your refund is on its way"}, "id": call_id}]),
            ToolMessage(content="sent batch of 2000", tool_call_id=call_id),
        ],
        "steps": state.get("steps", 0) + 1,
    }


def again(state: State):
    return "call_tool" if state.get("steps", 0) < 3 * state.get("loops", 3) else END


g = StateGraph(State)
g.add_node("plan", plan)
g.add_node("call_tool", call_tool)
g.add_node("send_email", send_email)
g.add_edge(START, "plan")
g.add_edge("plan", "call_tool")
g.add_edge("call_tool", "send_email")
g.add_conditional_edges("send_email", again)
graph = g.compile()
