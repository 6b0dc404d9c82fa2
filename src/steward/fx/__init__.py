"""Exchange rates: the monthly rates every amount in another currency is converted with (the
workspace currency is the unit of every roll-up)."""
