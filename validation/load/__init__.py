"""The load test: the Locust run, the naive baseline, the verdict rules and the report."""
