"""Customer care: interactions, trouble tickets, bill disputes."""
