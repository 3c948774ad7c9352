"""IAM policy evaluation: explicit Deny wins, an Allow is needed, wildcards, Not*, conditions."""

import json

import pytest

from course.lab.iam.policy import (
    IDENTITY,
    RESOURCE,
    SESSION,
    MalformedPolicyDocument,
    Policy,
    Request,
    action_matches,
    evaluate,
    resource_matches,
)

ROLE = "arn:aws:sts::123456789012:assumed-role/reader-role/reader"
BUCKET_OBJECT = "arn:aws:s3:::photos/in/cat.jpg"


def policy(*statements, kind=IDENTITY, source="inline policy p of role reader-role"):
    return Policy.parse(
        source, json.dumps({"Version": "2012-10-17", "Statement": list(statements)}), kind
    )


def allow(action, resource="*", **extra):
    return {"Effect": "Allow", "Action": action, "Resource": resource, **extra}


def deny(action, resource="*", **extra):
    return {"Effect": "Deny", "Action": action, "Resource": resource, **extra}


def decide(action, resource, *policies, context=None, principal=ROLE):
    return evaluate(Request(principal, action, resource, context or {}), policies)


@pytest.mark.parametrize(
    ("pattern", "action", "expected"),
    [
        ("s3:GetObject", "s3:GetObject", True),
        ("S3:getobject", "s3:GetObject", True),  # actions are case-insensitive
        ("s3:Get*", "s3:GetObject", True),
        ("s3:Get*", "s3:PutObject", False),
        ("s3:*", "s3:PutObject", True),
        ("*", "dynamodb:PutItem", True),
        ("s3:?etObject", "s3:GetObject", True),
        ("s3:?etObject", "s3:GGetObject", False),
        ("dynamodb:*Item", "dynamodb:PutItem", True),
        ("dynamodb:*Item", "dynamodb:Query", False),
        ("s3:GetObject", "s3:GetObjectTagging", False),  # no implicit prefix match
    ],
)
def test_action_wildcards_and_case(pattern, action, expected):
    assert action_matches(pattern, action) is expected


@pytest.mark.parametrize(
    ("pattern", "arn", "expected"),
    [
        ("arn:aws:s3:::photos/in/*", "arn:aws:s3:::photos/in/cat.jpg", True),
        ("arn:aws:s3:::photos/in/*", "arn:aws:s3:::photos/in/a/b/c.jpg", True),  # * crosses /
        ("arn:aws:s3:::photos/in/*", "arn:aws:s3:::photos/out/cat.jpg", False),
        ("arn:aws:s3:::photos/in/*", "arn:aws:s3:::photos", False),
        ("arn:aws:s3:::Photos/*", "arn:aws:s3:::photos/x", False),  # ARNs are case-sensitive
        ("arn:aws:s3:::photos/?at.jpg", "arn:aws:s3:::photos/cat.jpg", True),
        ("arn:aws:s3:::photos/?at.jpg", "arn:aws:s3:::photos/at.jpg", False),
        ("arn:aws:dynamodb:*:*:table/users", "arn:aws:dynamodb:us-east-1:1:table/users", True),
        (
            "arn:aws:dynamodb:*:*:table/users",
            "arn:aws:dynamodb:us-east-1:1:table/users/index/x",
            False,
        ),
        (
            "arn:aws:dynamodb:*:*:table/users*",
            "arn:aws:dynamodb:us-east-1:1:table/users/index/x",
            True,
        ),
        ("*", "arn:aws:sns:us-east-1:1:t", True),
        ("arn:aws:s3:::a.b", "arn:aws:s3:::axb", False),  # a dot is a dot, not a regex
    ],
)
def test_resource_wildcards_and_case(pattern, arn, expected):
    assert resource_matches(pattern, arn) is expected


def test_no_policy_denies_implicitly_with_aws_message():
    decision = decide("s3:GetObject", BUCKET_OBJECT)
    assert not decision.allowed and not decision.explicit_deny
    assert decision.message() == (
        f"User: {ROLE} is not authorized to perform: s3:GetObject on resource: {BUCKET_OBJECT} "
        "because no identity-based policy allows the s3:GetObject action"
    )
    assert "No policy is attached" in decision.explain()


def test_allow_on_prefix_allows_inside_and_not_outside():
    p = policy(allow("s3:GetObject", "arn:aws:s3:::photos/in/*"))
    assert decide("s3:GetObject", BUCKET_OBJECT, p).allowed
    outside = decide("s3:GetObject", "arn:aws:s3:::photos/out/cat.jpg", p)
    assert not outside.allowed
    explanation = outside.explain()
    assert (
        "statement 1 of inline policy p of role reader-role (Allow) does not apply" in explanation
    )
    assert "does not match arn:aws:s3:::photos/out/cat.jpg" in explanation
    assert '"Resource": "arn:aws:s3:::photos/out/cat.jpg"' in explanation


def test_explicit_deny_wins_over_any_allow():
    decision = decide(
        "s3:DeleteObject",
        BUCKET_OBJECT,
        policy(allow("s3:*", "*")),
        policy(deny("s3:Delete*", "arn:aws:s3:::photos/*"), source="managed policy m"),
    )
    assert not decision.allowed and decision.denied_by == IDENTITY
    assert decision.message().endswith(
        "s3:DeleteObject on resource: arn:aws:s3:::photos/in/cat.jpg with an explicit deny in "
        "an identity-based policy"
    )
    assert "An explicit Deny always wins" in decision.explain()


def test_message_without_resource_when_the_action_has_none():
    message = decide("s3:ListAllMyBuckets", "*").message()
    assert message == (
        f"User: {ROLE} is not authorized to perform: s3:ListAllMyBuckets because no "
        "identity-based policy allows the s3:ListAllMyBuckets action"
    )


def test_not_action_allows_everything_else():
    p = policy({"Effect": "Allow", "NotAction": "iam:*", "Resource": "*"})
    assert decide("dynamodb:PutItem", "arn:aws:dynamodb:us-east-1:1:table/t", p).allowed
    denied = decide("iam:CreateUser", "arn:aws:iam::1:user/u", p)
    assert not denied.allowed
    assert "NotAction excludes iam:CreateUser" in denied.explain()


def test_not_resource_with_deny_protects_everything_but_one_bucket():
    p = policy(
        allow("s3:*"),
        {
            "Effect": "Deny",
            "Action": "s3:*",
            "NotResource": ["arn:aws:s3:::photos", "arn:aws:s3:::photos/*"],
        },
    )
    assert decide("s3:GetObject", BUCKET_OBJECT, p).allowed
    assert decide("s3:GetObject", "arn:aws:s3:::secrets/x", p).explicit_deny


def test_statement_and_lists_in_any_form():
    single = Policy.parse(
        "p",
        {
            "Statement": allow(
                ["sqs:SendMessage", "sqs:ReceiveMessage"],
                ["arn:aws:sqs:us-east-1:1:a", "arn:aws:sqs:us-east-1:1:b"],
            )
        },
    )
    assert decide("sqs:ReceiveMessage", "arn:aws:sqs:us-east-1:1:b", single).allowed
    assert not decide("sqs:DeleteMessage", "arn:aws:sqs:us-east-1:1:b", single).allowed


def test_list_bucket_restricted_to_a_prefix_with_s3_prefix_condition():
    p = policy(
        allow(
            "s3:ListBucket",
            "arn:aws:s3:::photos",
            Condition={"StringLike": {"s3:prefix": ["in/*", "in/"]}},
        )
    )
    assert decide("s3:ListBucket", "arn:aws:s3:::photos", p, context={"s3:prefix": "in/"}).allowed
    assert decide(
        "s3:ListBucket", "arn:aws:s3:::photos", p, context={"s3:prefix": "in/2024/"}
    ).allowed
    other = decide("s3:ListBucket", "arn:aws:s3:::photos", p, context={"s3:prefix": "out/"})
    assert not other.allowed
    assert "Condition StringLike s3:prefix" in other.explain() and "is out/" in other.explain()
    # No prefix in the request: the key is missing, so a positive operator fails.
    assert not decide("s3:ListBucket", "arn:aws:s3:::photos", p).allowed


@pytest.mark.parametrize(
    ("operator", "wanted", "actual", "expected"),
    [
        ("StringEquals", "a", "a", True),
        ("StringEquals", "a", "A", False),
        ("StringEquals", ["x", "a"], "a", True),  # values are alternatives
        ("StringEqualsIgnoreCase", "a", "A", True),
        ("StringNotEquals", "a", "b", True),
        ("StringNotEquals", "a", "a", False),
        ("StringNotEquals", "a", None, True),  # negated operators hold when the key is absent
        ("StringLike", "in/*", "in/x", True),
        ("StringLike", "in/*", "out/x", False),
        ("StringNotLike", "in/*", "out/x", True),
        ("StringEqualsIfExists", "a", None, True),
        ("StringEquals", "a", None, False),
        ("Bool", "true", "true", True),
        ("Bool", "true", "false", False),
        ("Null", "true", None, True),
        ("Null", "false", None, False),
        ("NumericLessThan", "10", "3", True),
        ("NumericLessThan", "10", "30", False),
    ],
)
def test_condition_operators(operator, wanted, actual, expected):
    context = {} if actual is None else {"aws:Key": actual}
    p = policy(allow("sns:Publish", Condition={operator: {"aws:key": wanted}}))  # keys: any case
    assert (
        decide("sns:Publish", "arn:aws:sns:us-east-1:1:t", p, context=context).allowed is expected
    )


def test_conditions_are_anded_across_keys():
    p = policy(
        allow(
            "sqs:SendMessage",
            Condition={"StringEquals": {"aws:SourceAccount": "1", "aws:PrincipalAccount": "1"}},
        )
    )
    both = {"aws:SourceAccount": "1", "aws:PrincipalAccount": "1"}
    assert decide("sqs:SendMessage", "*", p, context=both).allowed
    assert not decide(
        "sqs:SendMessage", "*", p, context={**both, "aws:PrincipalAccount": "2"}
    ).allowed


FUNCTION = "arn:aws:lambda:us-east-1:123456789012:function:thumbs"


def s3_may_invoke(bucket_arn, operator="ArnLike"):
    return policy(
        {
            "Sid": "s3-invoke",
            "Effect": "Allow",
            "Principal": {"Service": "s3.amazonaws.com"},
            "Action": "lambda:InvokeFunction",
            "Resource": FUNCTION,
            "Condition": {
                operator: {"AWS:SourceArn": bucket_arn},
                "StringEquals": {"AWS:SourceAccount": "123456789012"},
            },
        },
        kind=RESOURCE,
        source="the resource-based policy of function thumbs",
    )


def test_resource_policy_with_source_arn_stops_a_confused_deputy():
    p = s3_may_invoke("arn:aws:s3:::photos")
    own = {"aws:SourceArn": "arn:aws:s3:::photos", "aws:SourceAccount": "123456789012"}
    assert decide(
        "lambda:InvokeFunction", FUNCTION, p, context=own, principal="s3.amazonaws.com"
    ).allowed
    other = decide(
        "lambda:InvokeFunction",
        FUNCTION,
        p,
        context={**own, "aws:SourceArn": "arn:aws:s3:::someone-elses-bucket"},
        principal="s3.amazonaws.com",
    )
    assert not other.allowed
    assert other.message().endswith(
        "because no resource-based policy allows the lambda:InvokeFunction action"
    )
    assert "statement 's3-invoke'" in other.explain()
    wrong_account = decide(
        "lambda:InvokeFunction",
        FUNCTION,
        p,
        context={**own, "aws:SourceAccount": "999999999999"},
        principal="s3.amazonaws.com",
    )
    assert not wrong_account.allowed


def test_resource_policy_names_the_principal():
    p = s3_may_invoke("arn:aws:s3:::photos")
    sns = decide(
        "lambda:InvokeFunction",
        FUNCTION,
        p,
        context={"aws:SourceArn": "arn:aws:s3:::photos"},
        principal="sns.amazonaws.com",
    )
    assert not sns.allowed
    assert "Principal does not name sns.amazonaws.com" in sns.explain()


def test_resource_policy_allows_a_role_of_the_same_account():
    p = policy(
        {
            "Effect": "Allow",
            "Principal": {"AWS": "arn:aws:iam::123456789012:role/reader-role"},
            "Action": "lambda:InvokeFunction",
            "Resource": FUNCTION,
        },
        kind=RESOURCE,
    )
    assert decide("lambda:InvokeFunction", FUNCTION, p).allowed


def test_arn_like_matches_part_by_part():
    p = s3_may_invoke("arn:aws:s3:::photos*")
    ctx = {"aws:SourceArn": "arn:aws:s3:::photos-2024", "aws:SourceAccount": "123456789012"}
    assert decide(
        "lambda:InvokeFunction", FUNCTION, p, context=ctx, principal="s3.amazonaws.com"
    ).allowed


def test_session_policy_narrows_the_role():
    role = policy(allow("s3:*"))
    session = policy(allow("s3:GetObject"), kind=SESSION, source="the session policy")
    assert decide("s3:GetObject", BUCKET_OBJECT, role, session).allowed
    put = decide("s3:PutObject", BUCKET_OBJECT, role, session)
    assert not put.allowed and "no session policy allows" in put.message()


def test_malformed_documents_are_refused_with_iam_error_type():
    with pytest.raises(MalformedPolicyDocument):
        Policy.parse("p", "{not json")
    with pytest.raises(MalformedPolicyDocument):
        Policy.parse("p", {"Version": "2012-10-17"})
    with pytest.raises(MalformedPolicyDocument):
        decide("s3:GetObject", "*", policy({"Effect": "Maybe", "Action": "*", "Resource": "*"}))
