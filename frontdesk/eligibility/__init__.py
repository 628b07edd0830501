"""270/271 eligibility checks, structured benefits, batch checks and patient cost estimates."""
