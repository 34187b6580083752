"""Loopline. The application lives in `saas.app` (create_app, the top of the stack); below it the web
layer and the CLI (`saas.web`, `saas.cli`), the product (`saas.feedback`) and the ground every package
stands on (`saas.core`). Importing this package imports nothing else."""
