"""HTTP layer: translates between HTTP and the domain; no domain logic here."""
