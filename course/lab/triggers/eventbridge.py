"""EventBridge rules that invoke Lambda functions: event patterns and schedules.

moto matches `PutEvents` entries against rule patterns but raises NotImplementedError for a
Lambda target, and it has no scheduler. Here a Lambda target is invoked asynchronously, as on
AWS, through the lab's event queue (so retries, destinations and the dead-letter queue apply).
Other targets (SQS, Logs, buses, archives) still go through moto's own code. As on AWS, a
rule invokes a function only if the function's resource-based policy allows
`events.amazonaws.com` for that rule's ARN (`lambda add_permission` with SourceArn); otherwise
the event is lost and `lab.dropped_events` says why.

Schedules run on the lab clock, never on the wall clock: `lab.advance_time(seconds)` fires
every `rate(...)` and `cron(...)` rule due in that window, in time order. A rate rule first
fires one interval after it was created (or last changed); cron rules fire on the minute,
in UTC. Disabled rules do not fire. The lab clock only moves when it is advanced.
"""

from __future__ import annotations

import calendar
import json
import re
import threading
import uuid
from datetime import UTC, datetime
from types import SimpleNamespace
from typing import Any

from course.lab import alias_routing
from course.lab.iam.resource_policy import missing_permission, service_may_invoke

EVENTS_PRINCIPAL = "events.amazonaws.com"
_state = SimpleNamespace(lab=None, installed=False)
_fire_lock = threading.Lock()

_RATE = re.compile(r"^rate\((\d+) (minute|minutes|hour|hours|day|days)\)$")
_UNIT_S = {"minute": 60, "hour": 3600, "day": 86400}
_MONTHS = {name: i for i, name in enumerate(calendar.month_abbr) if name}
_DAYS = {"SUN": 1, "MON": 2, "TUE": 3, "WED": 4, "THU": 5, "FRI": 6, "SAT": 7}
_CRON_FIELDS = (  # name, lowest, highest, names
    ("minutes", 0, 59, {}),
    ("hours", 0, 23, {}),
    ("day-of-month", 1, 31, {}),
    ("month", 1, 12, {k.upper(): v for k, v in _MONTHS.items()}),
    ("day-of-week", 1, 7, _DAYS),
    ("year", 1970, 2199, {}),
)


class ScheduleExpressionError(ValueError):
    """A schedule expression the lab cannot run (AWS: ValidationException)."""


def iso_time(epoch_s: float) -> str:
    """An EventBridge `time` field: ISO 8601 in UTC to the second, e.g. 2026-01-15T12:00:00Z."""
    return datetime.fromtimestamp(int(epoch_s), UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


# -- schedules -----------------------------------------------------------------------------
def _cron_values(text: str, low: int, high: int, names: dict[str, int]) -> set[int]:
    values: set[int] = set()
    for part in text.upper().split(","):
        step = 1
        if "/" in part:
            part, step_text = part.split("/", 1)
            step = int(step_text)
        if part in ("*", "?"):
            first, last = low, high
        elif "-" in part:
            a, b = part.split("-", 1)
            first, last = names.get(a) or int(a), names.get(b) or int(b)
        else:
            first = names.get(part) or int(part)
            last = high if step != 1 else first
        if not (low <= first <= high and low <= last <= high) or step < 1:
            raise ScheduleExpressionError(f"{part} is out of range {low}-{high}")
        values.update(range(first, last + 1, step))
    return values


def parse_cron(expression: str) -> list[set[int] | None]:
    """The allowed values of the six cron fields (None for `?`), or ScheduleExpressionError.

    Supported: numbers, names (JAN, MON), `*`, `?`, lists, ranges and `/` steps. Not supported
    by the lab: `L`, `W` and `#`.
    """
    match = re.fullmatch(r"cron\((.+)\)", expression.strip())
    fields = match.group(1).split() if match else []
    if len(fields) != 6:
        raise ScheduleExpressionError("a cron expression has 6 fields")
    if (fields[2] == "?") == (fields[4] == "?"):
        raise ScheduleExpressionError("exactly one of day-of-month and day-of-week must be ?")
    try:
        return [
            None if text == "?" else _cron_values(text, low, high, names)
            for text, (_, low, high, names) in zip(fields, _CRON_FIELDS, strict=True)
        ]
    except ValueError as exc:
        raise ScheduleExpressionError(str(exc)) from None


def _cron_matches(fields: list[set[int] | None], moment: datetime) -> bool:
    minutes, hours, dom, month, dow, year = fields
    weekday = (moment.isoweekday() % 7) + 1  # SUN=1 ... SAT=7, as in EventBridge
    day_ok = weekday in dow if dom is None else moment.day in dom
    return (
        moment.minute in minutes
        and moment.hour in hours
        and moment.month in month
        and moment.year in year
        and day_ok
    )


def fire_times(expression: str, anchor_s: float, start_s: float, end_s: float) -> list[float]:
    """The times in (start_s, end_s] when a schedule created at `anchor_s` fires (epoch s)."""
    rate = _RATE.match(expression.strip())
    if rate:
        period = int(rate.group(1)) * _UNIT_S[rate.group(2).rstrip("s")]
        if period <= 0:
            raise ScheduleExpressionError("the rate must be a positive whole number")
        k = max(1, int((start_s - anchor_s) // period) + 1)
        times = []
        while anchor_s + k * period <= end_s:
            if anchor_s + k * period > start_s:
                times.append(anchor_s + k * period)
            k += 1
        return times
    fields = parse_cron(expression)
    minute = (int(start_s) // 60 + 1) * 60
    times = []
    while minute <= end_s:
        if _cron_matches(fields, datetime.fromtimestamp(minute, UTC)):
            times.append(float(minute))
        minute += 60
    return times


def scheduled_event(rule: Any, at_s: float) -> dict:
    """The event a schedule rule sends its targets (detail-type Scheduled Event)."""
    return {
        "version": "0",
        "id": str(uuid.uuid4()),
        "detail-type": "Scheduled Event",
        "source": "aws.events",
        "account": rule.account_id,
        "time": iso_time(at_s),
        "region": rule.region_name,
        "resources": [rule.arn],
        "detail": {},
    }


def _schedule_rules() -> list[Any]:
    from moto.events.models import events_backends

    rules = []
    for regions in events_backends.values():
        for backend in list(regions.values()):
            for bus in list(backend.event_buses.values()):
                rules += [
                    rule
                    for rule in list(bus.rules.values())
                    if rule.scheduled_expression and rule.state == "ENABLED"
                ]
    return rules


def advance(lab: Any, seconds: float) -> list[dict]:
    """Move the lab clock on by `seconds`, firing each schedule due on the way, in order.

    Waits for the invocations each firing causes before the next one, so what happens is the
    same on every run. Returns the scheduled events sent, in order.
    """
    if seconds < 0:
        raise ValueError("The lab clock only moves forward: seconds must be 0 or more.")
    with _fire_lock:
        start = lab.clock_s()
        end = start + seconds
        due = []
        for rule in _schedule_rules():
            anchor = getattr(rule, "lab_schedule_anchor_s", start)
            for at in fire_times(rule.scheduled_expression, anchor, start, end):
                due.append((at, rule.arn, rule))
        due.sort(key=lambda item: (item[0], item[1]))
        sent = []
        for at, _, rule in due:
            lab.set_clock_s(at)
            event = scheduled_event(rule, at)
            _send(rule, {**event, "time": at, "ingestion-time": at})
            sent.append(event)
            lab.wait()
        lab.set_clock_s(end)
        lab.wait()
        return sent


# -- delivery -------------------------------------------------------------------------------
def _target_input(target: dict, event: dict) -> Any:
    """What a Lambda target receives: the event, or its Input / InputPath / InputTransformer."""
    from moto.events.utils import EventTemplateParser

    if target.get("Input"):
        return json.loads(target["Input"])
    if target.get("InputPath"):
        from jsonpath_ng.ext import parse

        matches = parse(target["InputPath"]).find(event)
        return matches[0].value if matches else None
    if target.get("InputTransformer"):
        transformer = target["InputTransformer"]
        return EventTemplateParser.parse(
            input_template=transformer.get("InputTemplate"),
            input_paths_map=transformer.get("InputPathsMap", {}),
            event=event,
        )
    return {k: v for k, v in event.items() if k != "ingestion-time"}


def _invoke_target(rule: Any, target: dict, event: dict) -> None:
    """Queue one asynchronous invocation of a Lambda target; a failure is recorded, not raised."""
    from moto.awslambda.models import lambda_backends

    arn = target["Arn"]
    account, region = arn.split(":")[4], arn.split(":")[3]
    payload = json.dumps(_target_input(target, event))
    try:
        fn = alias_routing.resolve(lambda_backends[account][region], arn)
    except Exception:  # noqa: BLE001 - AWS counts a FailedInvocation; the lab records it
        _state.lab.events.drop(
            SimpleNamespace(function_name=arn),
            payload,
            "",
            f"Rule {rule.name} could not invoke {arn}: the function does not exist.",
        )
        return
    decision = service_may_invoke(arn, EVENTS_PRINCIPAL, rule.arn, rule.account_id)
    if not decision.allowed:  # AWS counts a FailedInvocation and the event is lost
        reason = missing_permission(decision, rule.arn, rule.account_id)
        _state.lab.events.drop(fn, payload, "", f"Rule {rule.name} could not invoke: {reason}")
        return
    with alias_routing.invoked_as(lambda_backends[account][region], arn):
        fn.invoke(payload, {"X-Amz-Invocation-Type": "Event"}, {})


def _send(rule: Any, event: dict) -> None:
    """Send one event (`time` in epoch s, as moto keeps it) to a rule's targets.

    Lambda targets are invoked here; the others go through moto's own code.
    """
    lambda_targets = [t for t in rule.targets if t["Arn"].split(":")[2] == "lambda"]
    shown = {**event, "time": iso_time(event["time"])}
    for target in lambda_targets:
        _invoke_target(rule, target, shown)
    others = [t for t in rule.targets if t not in lambda_targets]
    if others:
        import copy

        rest = copy.copy(rule)
        rest.targets = others
        rest.event_pattern = SimpleNamespace(matches_event=lambda _event: True)
        _original_send(rest, event)


def _send_to_targets(self: Any, original_event: dict, transform_input: bool = True) -> None:
    """Replacement for moto's Rule.send_to_targets: skips disabled and schedule-only rules."""
    if self.state != "ENABLED":
        return
    if self.scheduled_expression and not self.event_pattern.get_pattern():
        return  # a schedule rule is not matched against events
    if not self.event_pattern.matches_event(original_event):
        return
    _send(self, original_event)


_original_send: Any = None


def install(lab: Any) -> None:
    """Route EventBridge events and schedules to Lambda targets in this lab (idempotent)."""
    global _original_send
    _state.lab = lab
    if _state.installed:
        return
    from moto.core.exceptions import JsonRESTError
    from moto.events import models

    _original_send = models.Rule.send_to_targets
    models.Rule.send_to_targets = _send_to_targets
    original_put_rule = models.EventsBackend.put_rule
    original_put_events = models.EventsBackend.put_events

    def put_rule(self: Any, name: str, *args: Any, **kwargs: Any) -> Any:
        expression = kwargs.get("scheduled_expression")
        if expression:
            try:
                fire_times(expression, 0.0, 0.0, 0.0)  # parses it; raises if it is not valid
            except ScheduleExpressionError:
                raise JsonRESTError(
                    "ValidationException", "Parameter ScheduleExpression is not valid."
                ) from None
        rule = original_put_rule(self, name, *args, **kwargs)
        rule.lab_schedule_anchor_s = _state.lab.clock_s()
        return rule

    def put_events(self: Any, events: list[dict]) -> list[dict]:
        now = _state.lab.clock_s()
        return original_put_events(self, [{"Time": now, **e} for e in events])

    models.EventsBackend.put_rule = put_rule
    models.EventsBackend.put_events = put_events
    _state.installed = True
