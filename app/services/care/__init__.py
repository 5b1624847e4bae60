"""Customer care (docs/care.md): interactions, trouble tickets, bill disputes."""
