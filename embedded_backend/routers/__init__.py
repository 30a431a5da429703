"""Router isolation: each router imported and mounted alone; failures answer 503."""
