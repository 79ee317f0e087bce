"""A small Temporal worker for cordon's real-peer tests: an agent-like
workflow whose activities "call tools" with retries, and which honours a
graceful cancel (the workflow's own code gets to clean up).

Usage: python worker.py HOST:PORT TASK_QUEUE
"""

import asyncio
import sys
from datetime import timedelta

from temporalio import activity, workflow
from temporalio.client import Client
from temporalio.common import RetryPolicy
from temporalio.worker import Worker


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


async def main() -> None:
    client = await Client.connect(sys.argv[1])
    worker = Worker(client, task_queue=sys.argv[2], workflows=[AgentWorkflow], activities=[crm_lookup, email_send])
    print("worker ready", flush=True)
    await worker.run()


if __name__ == "__main__":
    asyncio.run(main())
