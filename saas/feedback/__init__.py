"""The feedback domain: metrics, responses and (later) categories, tasks and improvements."""
