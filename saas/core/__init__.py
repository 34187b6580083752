"""What every package stands on: configuration, extensions, database helpers, the tenant scope,
the outbox, links, time, languages, Sentry and the one refusal type. Imports nothing above it."""
