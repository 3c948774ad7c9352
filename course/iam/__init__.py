"""IAM in the lab: policy evaluation, request-to-permission mapping, enforcement and audit.

- course.iam.policy: evaluate a request against policies (pure, stdlib only);
- course.iam.actions: which IAM action(s) and resource ARN(s) an API request needs;
- course.iam.principals: who owns an access key, and their policies, read live from moto;
- course.iam.enforcement: the gate in front of the lab's moto server;
- course.iam.cloudtrail: CloudTrail event history (LookupEvents) for the lab;
- course.iam.access_analyzer: explain denials, draft least-privilege policies.
"""
