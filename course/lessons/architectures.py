"""The course's two reference architectures, described once and built step by step in the lab.

- The **thumbnail pipeline**: an image uploaded to S3 triggers a function (an S3 event
  notification, allowed by the function's resource-based policy) that writes a thumbnail to
  a second bucket and its metadata to a DynamoDB table.
- The **users API**: users sign up and log in with Cognito, then call a REST API in API
  Gateway whose Cognito authorizer checks their ID token before a function reads DynamoDB.

`THUMBNAIL_PIPELINE` and `USERS_API` describe each one (services and the events between
them); `course.diagrams` draws them from the same description. The step functions below are
plain boto3 calls against the running lab (`course.lab.start()`), as on AWS.
"""

from __future__ import annotations

import contextlib
import io
import json
import urllib.error
import urllib.request
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

import boto3

import course.lab
from course.lab import ACCOUNT_ID
from course.lessons.handlers.thumbnail.sizing import thumbnail_size
from course.lessons.integrations import allow_s3

HANDLERS = Path(__file__).parent / "handlers"

# The scenario's own settings (not AWS facts).
MAX_SIDE_PX = 128
UPLOADS = "lesson01-uploads"
THUMBNAILS = "lesson01-thumbnails"
METADATA_TABLE = "lesson01-thumbnail-metadata"
THUMBNAIL_FUNCTION = "lesson01-thumbnail"
USERS_TABLE = "lesson01-users"
USER_POOL = "lesson01-users"
SIGN_UP_FUNCTION = "lesson01-sign-up"
API_FUNCTION = "lesson01-users-api"
API_STAGE = "prod"


# -- the descriptions --------------------------------------------------------------------
@dataclass(frozen=True)
class Service:
    """One box of an architecture: the AWS service and its role, at a place on the drawing."""

    key: str
    service: str
    role: str
    x: float
    y: float


@dataclass(frozen=True)
class Flow:
    """One arrow: what goes from one service to another."""

    source: str
    target: str
    event: str


@dataclass(frozen=True)
class Architecture:
    """An architecture: its services and the events that flow between them."""

    title: str
    services: tuple[Service, ...]
    flows: tuple[Flow, ...]

    def service(self, key: str) -> Service:
        """The service with this key."""
        return next(s for s in self.services if s.key == key)


THUMBNAIL_PIPELINE = Architecture(
    "Thumbnail pipeline",
    (
        Service("user", "User", "uploads a photo", 0, 1),
        Service("uploads", "Amazon S3", f"bucket {UPLOADS}", 1, 1),
        Service("function", "AWS Lambda", f"function {THUMBNAIL_FUNCTION}", 2, 1),
        Service("thumbnails", "Amazon S3", f"bucket {THUMBNAILS}", 3, 1.6),
        Service("table", "Amazon DynamoDB", f"table {METADATA_TABLE}", 3, 0.4),
    ),
    (
        Flow("user", "uploads", "PutObject"),
        Flow("uploads", "function", "ObjectCreated event (async)"),
        Flow("function", "thumbnails", "PutObject thumbnail"),
        Flow("function", "table", "PutItem metadata"),
    ),
)

USERS_API = Architecture(
    "Users API",
    (
        Service("user", "User", "browser or app", 0, 1),
        Service("cognito", "Amazon Cognito", f"user pool {USER_POOL}", 1, 1.8),
        Service("sign_up", "AWS Lambda", f"function {SIGN_UP_FUNCTION}", 2, 1.8),
        Service("api", "Amazon API Gateway", "REST API, Cognito authorizer", 1, 0.2),
        Service("function", "AWS Lambda", f"function {API_FUNCTION}", 2, 0.2),
        Service("table", "Amazon DynamoDB", f"table {USERS_TABLE}", 3, 1),
    ),
    (
        Flow("user", "cognito", "sign up, log in"),
        Flow("cognito", "sign_up", "PreSignUp, PostConfirmation"),
        Flow("sign_up", "table", "PutItem profile"),
        Flow("user", "api", "GET /me + ID token"),
        Flow("api", "function", "proxy event (sync)"),
        Flow("function", "table", "GetItem"),
    ),
)


# -- shared steps ------------------------------------------------------------------------
def _role(name: str, actions: list[str], resources: list[str]) -> str:
    """An execution role allowed exactly `actions` on `resources`; return its ARN."""
    statement = {"Effect": "Allow", "Action": actions, "Resource": resources}
    policy = {"Version": "2012-10-17", "Statement": [statement]}
    return course.lab.start().execution_role(name, policy)


def _table(name: str, key: str) -> None:
    """Create an on-demand DynamoDB table with a string partition key, if it is not there."""
    dynamodb = boto3.client("dynamodb")
    if name in dynamodb.list_tables()["TableNames"]:
        return
    dynamodb.create_table(
        TableName=name,
        KeySchema=[{"AttributeName": key, "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": key, "AttributeType": "S"}],
        BillingMode="PAY_PER_REQUEST",
    )


def _plain(item: dict) -> dict:
    """A DynamoDB item with its Decimal numbers turned into ints."""
    return {k: int(v) if isinstance(v, Decimal) else v for k, v in item.items()}


# -- the thumbnail pipeline ----------------------------------------------------------------
def create_storage(uploads: str = UPLOADS, thumbnails: str = THUMBNAILS) -> None:
    """Step 1: the two buckets and the metadata table."""
    s3 = boto3.client("s3")
    for bucket in dict.fromkeys((uploads, thumbnails)):
        s3.create_bucket(Bucket=bucket)
    _table(METADATA_TABLE, "source_key")


def deploy_thumbnail_function(
    name: str = THUMBNAIL_FUNCTION,
    uploads: str = UPLOADS,
    thumbnails: str = THUMBNAILS,
    prefix: str = "",
) -> str:
    """Step 2: deploy the thumbnail handler with a least-privilege role; return its ARN."""
    table_arn = f"arn:aws:dynamodb:{course.lab.REGION}:{ACCOUNT_ID}:table/{METADATA_TABLE}"
    role = _role(
        f"{name}-role",
        ["s3:GetObject", "s3:PutObject", "dynamodb:PutItem"],
        [f"arn:aws:s3:::{uploads}/*", f"arn:aws:s3:::{thumbnails}/*", table_arn],
    )
    env = {
        "DEST_BUCKET": thumbnails,
        "DEST_PREFIX": prefix,
        "TABLE": METADATA_TABLE,
        "MAX_SIDE": str(MAX_SIDE_PX),
    }
    config = course.lab.start().deploy(
        name, HANDLERS / "thumbnail", handler="app.handler", env=env, role=role
    )
    return config["FunctionArn"]


def notify_function(bucket: str, function_arn: str, prefix: str = "", suffix: str = "") -> dict:
    """Step 4: send the bucket's ObjectCreated events to the function (optionally filtered)."""
    config: dict[str, Any] = {"LambdaFunctionArn": function_arn, "Events": ["s3:ObjectCreated:*"]}
    rules = [{"Name": n, "Value": v} for n, v in (("prefix", prefix), ("suffix", suffix)) if v]
    if rules:
        config["Filter"] = {"Key": {"FilterRules": rules}}
    notification = {"LambdaFunctionConfigurations": [config]}
    boto3.client("s3").put_bucket_notification_configuration(
        Bucket=bucket, NotificationConfiguration=notification
    )
    return notification


def build_thumbnail_pipeline() -> str:
    """All four steps at once; return the function's ARN."""
    create_storage()
    arn = deploy_thumbnail_function()
    allow_s3(THUMBNAIL_FUNCTION, UPLOADS)
    notify_function(UPLOADS, arn)
    return arn


def sample_image(width: int = 640, height: int = 400, image_format: str = "PNG") -> bytes:
    """A small, always identical test picture (sky, sun and hills) as image bytes."""
    from PIL import Image, ImageDraw

    image = Image.new("RGB", (width, height), (135, 196, 235))
    draw = ImageDraw.Draw(image)
    draw.ellipse((width * 0.7, height * 0.1, width * 0.85, height * 0.1 + width * 0.15), "gold")
    draw.ellipse((-width * 0.2, height * 0.6, width * 0.7, height * 1.6), (76, 153, 0))
    draw.ellipse((width * 0.4, height * 0.7, width * 1.3, height * 1.7), (56, 118, 29))
    buffer = io.BytesIO()
    image.save(buffer, format=image_format)
    return buffer.getvalue()


def upload(key: str, data: bytes, bucket: str = UPLOADS) -> None:
    """Upload an object, then wait until the work it triggers is done."""
    boto3.client("s3").put_object(Bucket=bucket, Key=key, Body=data)
    course.lab.start().wait()


def image_size(data: bytes) -> tuple[int, int]:
    """(width, height) in pixels of image bytes."""
    from PIL import Image

    return Image.open(io.BytesIO(data)).size


def download(key: str, bucket: str = THUMBNAILS) -> bytes:
    """The bytes of an object."""
    return boto3.client("s3").get_object(Bucket=bucket, Key=key)["Body"].read()


def metadata(source_key: str) -> dict | None:
    """The metadata item the function wrote for an uploaded image (None if there is none)."""
    table = boto3.resource("dynamodb").Table(METADATA_TABLE)
    item = table.get_item(Key={"source_key": source_key}).get("Item")
    return _plain(item) if item else None


def keys(bucket: str) -> list[str]:
    """The object keys in a bucket, sorted."""
    listing = boto3.client("s3").list_objects_v2(Bucket=bucket)
    return sorted(item["Key"] for item in listing.get("Contents", []))


def expected_thumbnail_size(width: int, height: int) -> tuple[int, int]:
    """The thumbnail size the pipeline makes for an image of this size."""
    return thumbnail_size(width, height, MAX_SIDE_PX)


# -- the users API --------------------------------------------------------------------------
@dataclass(frozen=True)
class UsersApi:
    """What the users API is made of: the user pool, its app client and the API's URL."""

    pool_id: str
    client_id: str
    url: str


def deploy_user_functions(api_source: str | Path = HANDLERS / "users") -> tuple[str, str]:
    """The table and the two functions (sign-up triggers, API); return their ARNs."""
    lab = course.lab.start()
    _table(USERS_TABLE, "user_id")
    table_arn = f"arn:aws:dynamodb:{course.lab.REGION}:{ACCOUNT_ID}:table/{USERS_TABLE}"
    env = {"TABLE": USERS_TABLE}
    writer = _role(f"{SIGN_UP_FUNCTION}-role", ["dynamodb:PutItem"], [table_arn])
    reader = _role(f"{API_FUNCTION}-role", ["dynamodb:GetItem"], [table_arn])
    users = HANDLERS / "users"
    sign_up = lab.deploy(SIGN_UP_FUNCTION, users, "app.on_sign_up", env=env, role=writer)
    api_handler = "app.api" if api_source == users else "app.handler"
    api = lab.deploy(API_FUNCTION, api_source, api_handler, env=env, role=reader)
    return sign_up["FunctionArn"], api["FunctionArn"]


def create_user_pool(trigger_arn: str) -> tuple[str, str, str]:
    """A user pool whose PreSignUp and PostConfirmation triggers run `trigger_arn`.

    Returns (pool id, pool ARN, app client id); the app client allows password log-in.
    """
    idp = boto3.client("cognito-idp")
    triggers = {"PreSignUp": trigger_arn, "PostConfirmation": trigger_arn}
    pool = idp.create_user_pool(PoolName=USER_POOL, LambdaConfig=triggers)["UserPool"]
    _allow(trigger_arn, "cognito-idp.amazonaws.com", pool["Arn"])
    client = idp.create_user_pool_client(
        UserPoolId=pool["Id"],
        ClientName="web",
        ExplicitAuthFlows=["ALLOW_USER_PASSWORD_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"],
    )["UserPoolClient"]
    return pool["Id"], pool["Arn"], client["ClientId"]


def _allow(function_arn: str, principal: str, source_arn: str) -> None:
    """Let an AWS service invoke the function, for one source only."""
    client = boto3.client("lambda")
    with contextlib.suppress(client.exceptions.ResourceConflictException):  # already allowed
        client.add_permission(
            FunctionName=function_arn,
            StatementId=principal.split(".")[0],
            Action="lambda:InvokeFunction",
            Principal=principal,
            SourceArn=source_arn,
        )


def create_rest_api(function_arn: str, pool_arn: str) -> str:
    """A REST API with GET /me behind a Cognito authorizer, deployed; return its base URL."""
    apigw = boto3.client("apigateway")
    api_id = apigw.create_rest_api(name="lesson01-users")["id"]
    root = apigw.get_resources(restApiId=api_id)["items"][0]["id"]
    authorizer = apigw.create_authorizer(
        restApiId=api_id,
        name="users",
        type="COGNITO_USER_POOLS",
        providerARNs=[pool_arn],
        identitySource="method.request.header.Authorization",
    )["id"]
    me = apigw.create_resource(restApiId=api_id, parentId=root, pathPart="me")["id"]
    apigw.put_method(
        restApiId=api_id,
        resourceId=me,
        httpMethod="GET",
        authorizationType="COGNITO_USER_POOLS",
        authorizerId=authorizer,
    )
    apigw.put_integration(
        restApiId=api_id,
        resourceId=me,
        httpMethod="GET",
        type="AWS_PROXY",
        integrationHttpMethod="POST",
        uri=f"arn:aws:apigateway:{course.lab.REGION}:lambda:path/2015-03-31/functions/"
        f"{function_arn}/invocations",
    )
    apigw.create_deployment(restApiId=api_id, stageName=API_STAGE)
    api_arn = f"arn:aws:execute-api:*:{ACCOUNT_ID}:{api_id}/*"
    _allow(function_arn, "apigateway.amazonaws.com", api_arn)
    return course.lab.start().api_url(api_id, API_STAGE)


def build_users_api(api_source: str | Path = HANDLERS / "users") -> UsersApi:
    """The whole users API: table, functions, user pool and REST API."""
    sign_up_arn, api_arn = deploy_user_functions(api_source)
    pool_id, pool_arn, client_id = create_user_pool(sign_up_arn)
    return UsersApi(pool_id, client_id, create_rest_api(api_arn, pool_arn) + "/me")


def sign_up(api: UsersApi, username: str, password: str, email: str) -> bool:
    """Sign a user up; return whether Cognito confirmed them (the PreSignUp trigger decides)."""
    answer = boto3.client("cognito-idp").sign_up(
        ClientId=api.client_id,
        Username=username,
        Password=password,
        UserAttributes=[{"Name": "email", "Value": email}],
    )
    return answer["UserConfirmed"]


def log_in(api: UsersApi, username: str, password: str) -> str:
    """Log a user in with their password; return their ID token (what the authorizer checks)."""
    tokens = boto3.client("cognito-idp").initiate_auth(
        ClientId=api.client_id,
        AuthFlow="USER_PASSWORD_AUTH",
        AuthParameters={"USERNAME": username, "PASSWORD": password},
    )["AuthenticationResult"]
    return tokens["IdToken"]


def call(url: str, token: str | None = None) -> tuple[int, Any]:
    """GET `url` over real HTTP, with the token in the Authorization header if given.

    Returns (HTTP status, the JSON body decoded).
    """
    headers = {"Authorization": token} if token else {}
    request = urllib.request.Request(url, headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read() or b"null")
