"""cfrec's reference application: a REST API and a dashboard over cfrec's SQL
functions. It keeps no model state: every answer comes from the database."""
