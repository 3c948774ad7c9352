"""Run a job on an EventBridge schedule.

Pairs with the eventbridge-scheduled-event event. Replace run_job with your own work.
Returns {"rule": rule name, "scheduledTime": the event's time, "result": run_job's result}.
"""

import logging

logger = logging.getLogger()
logger.setLevel(logging.INFO)


def run_job(scheduled_time):
    """The scheduled work; here it only reports when it ran."""
    return f"ran for {scheduled_time}"


def lambda_handler(event, context):
    """Run the job for the rule that fired and report which rule and time it was."""
    rule = event["resources"][0].split("/")[-1] if event["resources"] else None
    logger.info("Rule %s fired at %s", rule, event["time"])
    return {"rule": rule, "scheduledTime": event["time"], "result": run_job(event["time"])}
