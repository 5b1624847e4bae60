"""SEPA direct debit (docs/direct-debit.md): mandates, collection runs (pain.008) and the
returns the debtors' banks send back (pain.002)."""
