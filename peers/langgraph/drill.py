"""The drill canary for `cordon drill` (the operator names it with
`--canary-assistant drill_canary`): a harmless agent that loops, calling a
no-op tool, until it is stopped (or for `seconds` at most, so a canary a
drill could not stop ends on its own). No model, no network, no writes.
"""

import time
import uuid
from typing import Annotated, TypedDict

from langchain_core.messages import AIMessage, ToolMessage
from langgraph.graph import END, START, StateGraph
from langgraph.graph.message import add_messages


class State(TypedDict, total=False):
    messages: Annotated[list, add_messages]
    seconds: float
    started: float
    beats: int


def start(state: State):
    return {"started": time.time(), "beats": 0,
            "messages": [AIMessage(content="Drill canary: harmless work for a stop-control drill")]}


def noop(state: State):
    # Short steps: a cancel lands between two of them.
    time.sleep(0.2)
    call_id = "call_" + uuid.uuid4().hex[:10]
    return {
        "messages": [
            AIMessage(content="", tool_calls=[{"name": "drill_noop", "args": {}, "id": call_id}]),
            ToolMessage(content="ok (no-op)", tool_call_id=call_id, name="drill_noop"),
        ],
        "beats": state.get("beats", 0) + 1,
    }


def again(state: State):
    limit = float(state.get("seconds") or 300)
    return "noop" if time.time() - state.get("started", time.time()) < limit else END


g = StateGraph(State)
g.add_node("start", start)
g.add_node("noop", noop)
g.add_edge(START, "start")
g.add_edge("start", "noop")
g.add_conditional_edges("noop", again)
# Looping until stopped: far beyond the default recursion limit.
drill_canary = g.compile().with_config({"recursion_limit": 100_000})
