"""The baseline job for bench/pipeline.py: RQ's own cost per job, doing nothing."""


def noop():
    return None
