"""IAM in the lab: policy evaluation, request-to-permission mapping, enforcement and audit.

- course.lab.iam.policy: evaluate a request against policies (pure, stdlib only);
- course.lab.iam.actions: which IAM action(s) and resource ARN(s) an API request needs;
- course.lab.iam.principals: who owns an access key, and their policies, read live from moto;
- course.lab.iam.enforcement: the gate in front of the lab's moto server;
- course.lab.iam.cloudtrail: CloudTrail event history (LookupEvents) for the lab;
- course.lab.iam.access_analyzer: explain denials, draft least-privilege policies.
"""
