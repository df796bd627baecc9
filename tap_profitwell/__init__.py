"""tap-profitwell: a Singer tap for ProfitWell's Customers API."""
