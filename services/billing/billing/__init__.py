"""Pawline billing service: invoices, payments, cards on file, accounts, promotions, memberships."""
