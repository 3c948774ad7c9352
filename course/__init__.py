"""lambda-course: a hands-on AWS Lambda course that runs offline in Jupyter."""

__version__ = "0.1.0"
