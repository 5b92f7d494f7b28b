-- GET with the customer's API key.
wrk.headers["X-API-Key"] = os.getenv("SIE_KEY")
