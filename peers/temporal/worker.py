"""Temporal workers for cordon's real-peer tests, written the way users
write them: an agent-like workflow whose activities "call tools" with
retries, a tool stuck in a retry loop, a long heartbeating activity, a
parent with child workflows, a workflow waiting for a human's signal, one
that ignores cancellation, and one that continues as new. With a second
queue, a drill worker on it runs `DrillCanary`, the harmless canary
`cordon drill --canary-task-queue QUEUE` starts.

Usage: python worker.py HOST:PORT TASK_QUEUE [DRILL_TASK_QUEUE]
"""

import asyncio
import sys
from dataclasses import dataclass
from datetime import timedelta

from temporalio import activity, workflow
from temporalio.client import Client
from temporalio.common import RetryPolicy
from temporalio.exceptions import ActivityError, ApplicationError
from temporalio.worker import Worker

FAST_RETRY = RetryPolicy(
    initial_interval=timedelta(milliseconds=100),
    backoff_coefficient=1.0,
    maximum_interval=timedelta(milliseconds=100),
)


@activity.defn
async def crm_lookup(segment: str) -> str:
    await asyncio.sleep(0.3)
    # Fail the first attempt, as a flaky tool would: retries show in history.
    if activity.info().attempt < 2:
        raise RuntimeError("crm timeout")
    return f"matched {segment}"


@activity.defn
async def email_send(segment: str) -> str:
    await asyncio.sleep(0.3)
    return f"sent batch to {segment}"


@dataclass
class Charge:
    customer_id: str
    amount_cents: int
    fail_times: int


@activity.defn
async def charge_card(c: Charge) -> str:
    """A payment tool that keeps failing (declined) `fail_times` times."""
    if activity.info().attempt <= c.fail_times:
        raise ApplicationError(f"card declined for {c.customer_id}: insufficient funds (attempt {activity.info().attempt})")
    return f"charged {c.amount_cents} to {c.customer_id}"


@activity.defn
async def export_ledger(seconds: float) -> str:
    """A long tool that heartbeats its progress."""
    steps = int(seconds / 0.2)
    for i in range(steps):
        activity.heartbeat({"rows": (i + 1) * 100})
        await asyncio.sleep(0.2)
    return f"exported {steps * 100} rows"


@workflow.defn
class AgentWorkflow:
    @workflow.run
    async def run(self, loops: int) -> str:
        try:
            for _ in range(loops):
                await workflow.execute_activity(
                    crm_lookup, "refund cohort B", start_to_close_timeout=timedelta(seconds=10),
                    retry_policy=RetryPolicy(initial_interval=timedelta(milliseconds=200), maximum_attempts=3),
                )
                await workflow.execute_activity(email_send, "all-customers", start_to_close_timeout=timedelta(seconds=10))
                await asyncio.sleep(1)
            return "done"
        except asyncio.CancelledError:
            # Graceful cancel: record the clean-up, then end as cancelled.
            workflow.logger.info("cancelled; cleaning up")
            raise


@workflow.defn
class BillingWorkflow:
    """Charges a card through a retrying activity (a retry loop while the
    card keeps being declined), then exports the ledger (heartbeating)."""

    @workflow.run
    async def run(self, customer_id: str, fail_times: int, export_seconds: float) -> str:
        charged = await workflow.execute_activity(
            charge_card, Charge(customer_id, 4000, fail_times),
            start_to_close_timeout=timedelta(seconds=10), retry_policy=FAST_RETRY,
        )
        exported = await workflow.execute_activity(
            export_ledger, export_seconds, start_to_close_timeout=timedelta(minutes=10),
            heartbeat_timeout=timedelta(seconds=5),
        )
        return f"{charged}; {exported}"


@workflow.defn
class RefundChild:
    @workflow.run
    async def run(self, customer_id: str) -> str:
        return await workflow.execute_activity(
            email_send, f"customer {customer_id}", start_to_close_timeout=timedelta(seconds=10)
        )


@workflow.defn
class RefundBatch:
    """A parent that fans out to child workflows, one per customer."""

    @workflow.run
    async def run(self, customers: list[str]) -> str:
        for c in customers:
            await workflow.execute_child_workflow(RefundChild.run, c, id=f"{workflow.info().workflow_id}-{c}")
        return f"{len(customers)} refunds"


@workflow.defn
class ApprovalWorkflow:
    """Waits for a human's `approve` signal before sending."""

    def __init__(self) -> None:
        self.decision = None

    @workflow.signal
    def approve(self, decision: dict) -> None:
        self.decision = decision

    @workflow.run
    async def run(self, draft: str) -> str:
        await workflow.wait_condition(lambda: self.decision is not None)
        if self.decision.get("approved"):
            return await workflow.execute_activity(email_send, "cohort B", start_to_close_timeout=timedelta(seconds=10))
        return "declined"


@workflow.defn
class StubbornWorkflow:
    """Ignores a cancel request: keeps calling its tool until terminated."""

    @workflow.run
    async def run(self, pause: float) -> str:
        while True:
            try:
                await workflow.execute_activity(email_send, "everyone", start_to_close_timeout=timedelta(seconds=10))
                await asyncio.sleep(pause)
            except (asyncio.CancelledError, ActivityError):
                # The cancel reaches a sleep as CancelledError, an activity
                # as an ActivityError caused by it: both are ignored.
                workflow.logger.info("cancel requested; ignoring it")
                continue


@workflow.defn
class PollerWorkflow:
    """Works in rounds and continues as new after each (same id, new run)."""

    @workflow.run
    async def run(self, rounds_left: int) -> str:
        await workflow.execute_activity(crm_lookup, f"round {rounds_left}", start_to_close_timeout=timedelta(seconds=10),
                                        retry_policy=FAST_RETRY)
        if rounds_left > 1:
            workflow.continue_as_new(rounds_left - 1)
        return "last round"


@activity.defn
async def drill_noop() -> str:
    """Does nothing: the canary's tool."""
    return "ok (no-op)"


@workflow.defn
class DrillCanary:
    """The drill canary: calls a no-op activity every half second until it
    is cancelled or terminated (or for `seconds` at most, so a canary a
    drill could not stop ends on its own). It writes nothing anywhere."""

    @workflow.run
    async def run(self, seconds: float = 300) -> str:
        beats, start = 0, workflow.time()
        while workflow.time() - start < seconds:
            await workflow.execute_activity(drill_noop, start_to_close_timeout=timedelta(seconds=10))
            beats += 1
            await asyncio.sleep(0.5)
        return f"{beats} no-op beats"


async def main() -> None:
    client = await Client.connect(sys.argv[1])
    workers = [Worker(
        client,
        task_queue=sys.argv[2],
        workflows=[AgentWorkflow, BillingWorkflow, RefundChild, RefundBatch, ApprovalWorkflow, StubbornWorkflow, PollerWorkflow],
        activities=[crm_lookup, email_send, charge_card, export_ledger],
    )]
    if len(sys.argv) > 3:
        workers.append(Worker(client, task_queue=sys.argv[3], workflows=[DrillCanary], activities=[drill_noop]))
    print("worker ready", flush=True)
    await asyncio.gather(*(w.run() for w in workers))


if __name__ == "__main__":
    asyncio.run(main())
