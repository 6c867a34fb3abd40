"""The OpenAPI 3.1 description of the machine API, served at /api/v1/openapi.json."""

ERROR_CODES = [
    "license_not_found",
    "license_in_use",
    "license_revoked",
    "validation_error",
    "invalid_token",
    "bad_request",
    "not_found",
    "method_not_allowed",
    "rate_limited",
    "server_error",
]

CERTIFICATE = {"type": "string", "description": "The current armored License Certificate."}
MIN_SERIAL = {
    "type": "integer",
    "minimum": 1,
    "description": "The lowest serial of this license still valid: an older certificate must not be used.",
}


def _error(description):
    return {
        "description": description,
        "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}},
    }


def _json(schema_name, description):
    return {
        "description": description,
        "content": {"application/json": {"schema": {"$ref": f"#/components/schemas/{schema_name}"}}},
    }


def _body(schema_name):
    return {
        "required": True,
        "content": {"application/json": {"schema": {"$ref": f"#/components/schemas/{schema_name}"}}},
    }


SCHEMAS = {
    "Error": {
        "type": "object",
        "required": ["error"],
        "properties": {
            "error": {
                "type": "object",
                "required": ["code", "message"],
                "properties": {
                    "code": {"type": "string", "enum": ERROR_CODES},
                    "message": {"type": "string"},
                },
            }
        },
    },
    "ActivationRequest": {
        "type": "object",
        "required": ["license_code", "install_id", "hostname"],
        "properties": {
            "license_code": {"type": "string", "maxLength": 64, "examples": ["HSL-7K2Q-M9XD-4RTP"]},
            "install_id": {
                "type": "string",
                "pattern": "^[A-Za-z0-9._-]{8,64}$",
                "description": "A random id the server chose once and keeps.",
            },
            "hostname": {"type": "string", "maxLength": 253, "examples": ["cp1.example.com"]},
        },
    },
    "Activation": {
        "type": "object",
        "required": [
            "install_id",
            "installation_token",
            "certificate",
            "license_code",
            "licensed_accounts",
            "serial",
            "min_serial",
        ],
        "properties": {
            "install_id": {"type": "string"},
            "installation_token": {
                "type": "string",
                "description": "Shown once: the bearer token of this server's check-ins.",
            },
            "certificate": CERTIFICATE,
            "license_code": {"type": "string"},
            "licensed_accounts": {"type": "integer", "minimum": 0},
            "serial": {"type": "integer", "minimum": 1},
            "min_serial": MIN_SERIAL,
        },
    },
    "CheckInRequest": {
        "type": "object",
        "required": ["created_accounts"],
        "properties": {"created_accounts": {"type": "integer", "minimum": 0, "maximum": 1000000000}},
    },
    "CheckIn": {
        "type": "object",
        "required": ["verdict", "packs_needed", "licensed_accounts", "certificate", "min_serial"],
        "properties": {
            "verdict": {"type": "string", "enum": ["OK", "GRACE", "BLOCKED"]},
            "packs_needed": {"type": "integer", "minimum": 0},
            "licensed_accounts": {"type": "integer", "minimum": 0},
            "certificate": CERTIFICATE,
            "min_serial": MIN_SERIAL,
        },
    },
}

LIMITED = _error("Too many requests from this client or token: wait a minute (rate_limited).")
BEARER = [{"installationToken": []}]


def openapi_document():
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "License Portal machine API",
            "version": "1",
            "description": "What a control panel uses to activate a license, check in and release it.",
        },
        "servers": [{"url": "/"}],
        "paths": {
            "/api/v1/activations": {
                "post": {
                    "operationId": "activate",
                    "summary": "Activate this server with a license code",
                    "requestBody": _body("ActivationRequest"),
                    "responses": {
                        "201": _json("Activation", "Activated: the token and the current certificate."),
                        "403": _error("The license is revoked (license_revoked)."),
                        "404": _error("No license has this code (license_not_found)."),
                        "409": _error("Another server holds the license (license_in_use)."),
                        "422": _error("A field is missing or invalid (validation_error)."),
                        "429": LIMITED,
                    },
                }
            },
            "/api/v1/check-ins": {
                "post": {
                    "operationId": "checkIn",
                    "summary": "Report the created accounts; get the verdict and the current certificate",
                    "security": BEARER,
                    "requestBody": _body("CheckInRequest"),
                    "responses": {
                        "200": _json("CheckIn", "The verdict and the current certificate."),
                        "401": _error("The token is unknown, replaced or released (invalid_token)."),
                        "422": _error("created_accounts is missing or invalid (validation_error)."),
                        "429": LIMITED,
                    },
                }
            },
            "/api/v1/activations/current": {
                "delete": {
                    "operationId": "release",
                    "summary": "Release this server's installation, so the license can move",
                    "security": BEARER,
                    "responses": {
                        "204": {"description": "Released."},
                        "401": _error("The token is unknown, replaced or released (invalid_token)."),
                        "429": LIMITED,
                    },
                }
            },
        },
        "components": {
            "schemas": SCHEMAS,
            "securitySchemes": {"installationToken": {"type": "http", "scheme": "bearer"}},
        },
    }
