/// The OpenAPI 3.1 description of the API, served at `/openapi.json`.
/// Kept next to the routes; `OpenAPITests` checks every route is described.
enum OpenAPIDocument {
    static let json = #"""
{
  "openapi": "3.1.0",
  "info": {
    "title": "Sluice ingestion API",
    "version": "1.0.0",
    "description": "Push documents into Sluice's durable queue, read their state, and search a tenant. Errors are {\"error\": {\"code\", \"message\", \"field\"}}. Once an API key exists every route but /healthz, /readyz and /openapi.json needs Authorization: Bearer <key>; while none exists, only loopback clients are served."
  },
  "servers": [{ "url": "http://127.0.0.1:8080" }],
  "security": [{ "bearer": [] }, {}],
  "components": {
    "securitySchemes": { "bearer": { "type": "http", "scheme": "bearer" } },
    "schemas": {
      "Error": {
        "type": "object",
        "required": ["error"],
        "properties": {
          "error": {
            "type": "object",
            "required": ["code", "message"],
            "properties": {
              "code": { "type": "string" },
              "message": { "type": "string" },
              "field": { "type": "string" }
            }
          }
        }
      },
      "Meta": {
        "type": "object",
        "required": ["tenant", "docId"],
        "properties": {
          "tenant": { "type": "string", "pattern": "^[A-Za-z0-9_-][A-Za-z0-9._-]{0,63}$" },
          "docId": { "type": "string", "minLength": 1, "maxLength": 1024 },
          "sha256": { "type": "string" },
          "mimeType": { "type": "string" },
          "title": { "type": "string" },
          "source": { "type": "string" },
          "modifiedAt": { "type": "string" },
          "deleted": { "type": "boolean" },
          "attributes": { "type": "object", "additionalProperties": { "type": "string" } }
        }
      },
      "Document": {
        "type": "object",
        "required": ["meta"],
        "properties": {
          "meta": { "$ref": "#/components/schemas/Meta" },
          "content": { "type": "string" }
        }
      },
      "DocumentState": {
        "type": "object",
        "required": ["tenant", "docId", "status", "revision", "chunks"],
        "properties": {
          "tenant": { "type": "string" },
          "docId": { "type": "string" },
          "status": { "type": "string", "enum": ["indexed", "skipped", "deleted", "pending"] },
          "revision": { "type": "integer" },
          "contentHash": { "type": "string", "description": "SHA-256 of the indexed content" },
          "chunks": { "type": "integer" },
          "title": { "type": "string" },
          "reason": { "type": "string" },
          "notes": { "type": "array", "items": { "type": "string" }, "description": "What the extractor left out and says so (e.g. \"1 image without text left out\"); absent when nothing." },
          "updatedAt": { "type": "string" },
          "pending": { "type": "object", "description": "The change not yet indexed, if any.",
            "required": ["revision", "state", "attempts", "readyAt"],
            "properties": {
              "revision": { "type": "integer" },
              "state": { "type": "string", "enum": ["queued", "processing", "failed"] },
              "attempts": { "type": "integer" },
              "lastError": { "type": "string" },
              "readyAt": { "type": "string" } } }
        }
      },
      "DeadLetterAction": {
        "type": "object", "required": ["id", "status"],
        "properties": { "id": { "type": "string" }, "status": { "type": "string", "enum": ["queued", "dropped"] } }
      },
      "PublishResult": {
        "type": "object",
        "required": ["tenant", "docId", "revision", "status"],
        "properties": {
          "tenant": { "type": "string" },
          "docId": { "type": "string" },
          "revision": { "type": "integer" },
          "status": { "type": "string", "enum": ["queued", "coalesced", "unchanged", "indexed", "skipped", "deleted"] },
          "state": { "$ref": "#/components/schemas/DocumentState" }
        }
      },
      "Stats": {
        "type": "object",
        "required": ["generatedAt", "queue", "alerts", "errorRate", "destinations", "history", "tenants", "scanProblems"],
        "properties": {
          "generatedAt": { "type": "string" },
          "onboarding": { "$ref": "#/components/schemas/Onboarding", "description": "Every onboarding in progress taken together; absent when none is." },
          "queue": {
            "type": "object", "required": ["ready", "delayed", "leased", "deadLetters"],
            "properties": {
              "ready": { "type": "object", "additionalProperties": { "type": "integer" }, "description": "Ready rows by priority: high, normal, low." },
              "delayed": { "type": "integer" }, "leased": { "type": "integer" }, "deadLetters": { "type": "integer" }
            }
          },
          "alerts": {
            "type": "array", "description": "Active alerts: queue_depth, error_rate, circuit_open (with its destination).",
            "items": {
              "type": "object", "required": ["name", "since", "value", "threshold", "message"],
              "properties": {
                "name": { "type": "string", "enum": ["queue_depth", "error_rate", "circuit_open"] },
                "destination": { "type": "string" }, "since": { "type": "string" },
                "value": { "type": "number" }, "threshold": { "type": "number" }, "message": { "type": "string" }
              }
            }
          },
          "errorRate": {
            "type": "object", "required": ["windowSeconds", "attempts", "failures", "rate"],
            "properties": { "windowSeconds": { "type": "integer" }, "attempts": { "type": "integer" }, "failures": { "type": "integer" }, "rate": { "type": "number" } }
          },
          "destinations": {
            "type": "array", "description": "Remote embedder and sink: circuit state and adaptive concurrency.",
            "items": {
              "type": "object", "required": ["destination", "circuit", "concurrencyLimit", "inFlight"],
              "properties": {
                "destination": { "type": "string" }, "circuit": { "type": "string", "enum": ["closed", "half_open", "open"] },
                "openSince": { "type": "string" }, "concurrencyLimit": { "type": "integer" }, "inFlight": { "type": "integer" }
              }
            }
          },
          "history": {
            "type": "array", "description": "A sample every five seconds over the last fifteen minutes, oldest first.",
            "items": {
              "type": "object", "required": ["at", "queued", "deadLetters", "throughput", "errorRate"],
              "properties": {
                "at": { "type": "string" }, "queued": { "type": "integer" }, "deadLetters": { "type": "integer" },
                "throughput": { "type": "number", "description": "Documents finished per second since the previous sample." },
                "errorRate": { "type": "number" }
              }
            }
          },
          "tenants": { "type": "array", "items": { "$ref": "#/components/schemas/Progress" } },
          "scanProblems": { "type": "array", "items": { "type": "string" }, "description": "What scans found wrong at the top of the watched folder (entries that are no tenant's)." }
        }
      },
      "Progress": {
        "type": "object",
        "required": ["tenant", "indexed", "pending", "skipped", "failed", "deleted", "chunks", "scanProblems"],
        "properties": {
          "tenant": { "type": "string" },
          "indexed": { "type": "integer" },
          "pending": { "type": "integer" },
          "skipped": { "type": "integer" },
          "failed": { "type": "integer" },
          "deleted": { "type": "integer" },
          "chunks": { "type": "integer" },
          "lastActivity": { "type": "string" },
          "onboarding": { "$ref": "#/components/schemas/Onboarding" },
          "scanProblems": { "type": "array", "items": { "type": "string" }, "description": "What the last scan of the tenant's folder found wrong: names skipped, bad .sluiceignore lines, unreadable folders." }
        }
      },
      "Onboarding": {
        "type": "object",
        "description": "The current or last onboarding: it starts when a change enters the tenant's empty backlog and ends when the backlog is empty again.",
        "required": ["startedAt", "active", "total", "processed", "failed", "pending", "percent", "filesPerMinute"],
        "properties": {
          "startedAt": { "type": "string" }, "active": { "type": "boolean" },
          "total": { "type": "integer" }, "processed": { "type": "integer" }, "failed": { "type": "integer" }, "pending": { "type": "integer" },
          "percent": { "type": "number" }, "filesPerMinute": { "type": "number" },
          "etaSeconds": { "type": ["number", "null"], "description": "Seconds until the backlog is empty at the last minute's rate; absent before anything finished." }
        }
      }
    },
    "responses": {
      "BadRequest": { "description": "Invalid input; error.field names the offending field.", "content": { "application/json": { "schema": { "$ref": "#/components/schemas/Error" } } } },
      "Unauthorized": { "description": "Missing, unknown or revoked API key.", "content": { "application/json": { "schema": { "$ref": "#/components/schemas/Error" } } } },
      "Forbidden": { "description": "The key does not reach this tenant.", "content": { "application/json": { "schema": { "$ref": "#/components/schemas/Error" } } } },
      "NotFound": { "description": "No such document.", "content": { "application/json": { "schema": { "$ref": "#/components/schemas/Error" } } } },
      "TooLarge": { "description": "Body, content or batch over its limit.", "content": { "application/json": { "schema": { "$ref": "#/components/schemas/Error" } } } },
      "UnsupportedMediaType": { "description": "The body is not sent as Content-Type: application/json.", "content": { "application/json": { "schema": { "$ref": "#/components/schemas/Error" } } } },
      "RateLimited": { "description": "Over the key's rate limit; see Retry-After.", "headers": { "Retry-After": { "schema": { "type": "integer" } } }, "content": { "application/json": { "schema": { "$ref": "#/components/schemas/Error" } } } },
      "Unavailable": { "description": "The store is busy or the server is shutting down; retry.", "content": { "application/json": { "schema": { "$ref": "#/components/schemas/Error" } } } }
    },
    "parameters": {
      "tenant": { "name": "tenant", "in": "path", "required": true, "schema": { "type": "string" } },
      "docId": { "name": "docId", "in": "path", "required": true, "description": "The document id as one percent-encoded path segment (handbook%2Fintro.md).", "schema": { "type": "string" } },
      "deadLetterId": { "name": "id", "in": "path", "required": true, "description": "tenant:docId, percent-encoded as one path segment (acme:handbook%2Fintro.md).", "schema": { "type": "string", "pattern": "^[A-Za-z0-9_-][A-Za-z0-9._-]{0,63}:[^/]" } }
    }
  },
  "paths": {
    "/healthz": {
      "get": { "security": [], "responses": { "200": { "description": "Alive.", "content": { "application/json": { "schema": { "type": "object" } } } } } }
    },
    "/readyz": {
      "get": {
        "security": [],
        "responses": {
          "200": { "description": "Ready.", "content": { "application/json": { "schema": { "type": "object" } } } },
          "503": { "$ref": "#/components/responses/Unavailable" }
        }
      }
    },
    "/openapi.json": {
      "get": { "security": [], "responses": { "200": { "description": "This document.", "content": { "application/json": { "schema": { "type": "object" } } } } } }
    },
    "/v1/ingest/preview": {
      "post": {
        "requestBody": { "required": true, "content": { "application/json": { "schema": { "$ref": "#/components/schemas/Document" } } } },
        "responses": {
          "200": { "description": "What publishing would do; nothing is written.", "content": { "application/json": { "schema": {
            "type": "object", "required": ["change", "chunks", "warnings"],
            "properties": { "change": { "type": "string", "enum": ["new", "changed", "unchanged", "deleted"] }, "chunks": { "type": "integer" }, "warnings": { "type": "array", "items": { "type": "string" } }, "contentHash": { "type": "string" } } } } } },
          "400": { "$ref": "#/components/responses/BadRequest" }, "415": { "$ref": "#/components/responses/UnsupportedMediaType" }, "401": { "$ref": "#/components/responses/Unauthorized" },
          "403": { "$ref": "#/components/responses/Forbidden" }, "413": { "$ref": "#/components/responses/TooLarge" },
          "429": { "$ref": "#/components/responses/RateLimited" }, "503": { "$ref": "#/components/responses/Unavailable" }
        }
      }
    },
    "/v1/ingest/publish": {
      "post": {
        "parameters": [{ "name": "wait", "in": "query", "required": false, "description": "Seconds to wait until indexed (at most 60).", "schema": { "type": "number", "minimum": 0 } }],
        "requestBody": { "required": true, "content": { "application/json": { "schema": { "$ref": "#/components/schemas/Document" } } } },
        "responses": {
          "202": { "description": "Durably enqueued (or unchanged).", "content": { "application/json": { "schema": { "$ref": "#/components/schemas/PublishResult" } } } },
          "400": { "$ref": "#/components/responses/BadRequest" }, "415": { "$ref": "#/components/responses/UnsupportedMediaType" }, "401": { "$ref": "#/components/responses/Unauthorized" },
          "403": { "$ref": "#/components/responses/Forbidden" }, "413": { "$ref": "#/components/responses/TooLarge" },
          "429": { "$ref": "#/components/responses/RateLimited" }, "503": { "$ref": "#/components/responses/Unavailable" }
        }
      }
    },
    "/v1/ingest/batch": {
      "post": {
        "requestBody": { "required": true, "content": { "application/json": { "schema": {
          "type": "object", "required": ["documents"],
          "properties": { "priority": { "type": "string", "enum": ["low", "normal", "high"] }, "coalesced": { "type": "boolean",
              "description": "The sender already coalesced these changes (for example a debounced export): they skip the settle window and are ready at once." },
            "documents": { "type": "array", "maxItems": 500, "items": { "$ref": "#/components/schemas/Document" } } } } } } },
        "responses": {
          "202": { "description": "One result per document; invalid ones are rejected alone.", "content": { "application/json": { "schema": {
            "type": "object", "required": ["accepted", "rejected", "results"],
            "properties": { "accepted": { "type": "integer" }, "rejected": { "type": "integer" },
              "results": { "type": "array", "items": { "type": "object", "required": ["index", "status"],
                "properties": { "index": { "type": "integer" }, "tenant": { "type": "string" }, "docId": { "type": "string" }, "revision": { "type": "integer" },
                  "status": { "type": "string", "enum": ["queued", "coalesced", "unchanged", "rejected"] },
                  "error": { "type": "object", "properties": { "code": { "type": "string" }, "message": { "type": "string" }, "field": { "type": "string" } } } } } } } } } } },
          "400": { "$ref": "#/components/responses/BadRequest" }, "415": { "$ref": "#/components/responses/UnsupportedMediaType" }, "401": { "$ref": "#/components/responses/Unauthorized" },
          "413": { "$ref": "#/components/responses/TooLarge" }, "429": { "$ref": "#/components/responses/RateLimited" },
          "503": { "$ref": "#/components/responses/Unavailable" }
        }
      }
    },
    "/v1/tenants/{tenant}/documents/{docId}": {
      "parameters": [{ "$ref": "#/components/parameters/tenant" }, { "$ref": "#/components/parameters/docId" }],
      "get": {
        "responses": {
          "200": { "description": "The document's state.", "content": { "application/json": { "schema": { "$ref": "#/components/schemas/DocumentState" } } } },
          "400": { "$ref": "#/components/responses/BadRequest" }, "401": { "$ref": "#/components/responses/Unauthorized" },
          "403": { "$ref": "#/components/responses/Forbidden" }, "404": { "$ref": "#/components/responses/NotFound" },
          "429": { "$ref": "#/components/responses/RateLimited" }, "503": { "$ref": "#/components/responses/Unavailable" }
        }
      },
      "delete": {
        "responses": {
          "202": { "description": "A tombstone was enqueued.", "content": { "application/json": { "schema": { "$ref": "#/components/schemas/PublishResult" } } } },
          "400": { "$ref": "#/components/responses/BadRequest" }, "401": { "$ref": "#/components/responses/Unauthorized" },
          "403": { "$ref": "#/components/responses/Forbidden" }, "429": { "$ref": "#/components/responses/RateLimited" },
          "503": { "$ref": "#/components/responses/Unavailable" }
        }
      }
    },
    "/v1/tenants/{tenant}": {
      "parameters": [{ "$ref": "#/components/parameters/tenant" }],
      "delete": {
        "description": "Purge a tenant's documents, chunks, queue rows and file state (admin).",
        "responses": {
          "200": { "description": "Purged.", "content": { "application/json": { "schema": { "type": "object" } } } },
          "400": { "$ref": "#/components/responses/BadRequest" }, "401": { "$ref": "#/components/responses/Unauthorized" },
          "403": { "$ref": "#/components/responses/Forbidden" }, "429": { "$ref": "#/components/responses/RateLimited" },
          "503": { "$ref": "#/components/responses/Unavailable" }
        }
      }
    },
    "/v1/tenants/{tenant}/progress": {
      "parameters": [{ "$ref": "#/components/parameters/tenant" }],
      "get": {
        "responses": {
          "200": { "description": "Counts for the tenant.", "content": { "application/json": { "schema": { "$ref": "#/components/schemas/Progress" } } } },
          "400": { "$ref": "#/components/responses/BadRequest" }, "401": { "$ref": "#/components/responses/Unauthorized" },
          "403": { "$ref": "#/components/responses/Forbidden" }, "429": { "$ref": "#/components/responses/RateLimited" },
          "503": { "$ref": "#/components/responses/Unavailable" }
        }
      }
    },
    "/v1/stats": {
      "get": {
        "responses": {
          "200": { "description": "Queue depth, alerts, error rate, destinations, recent history and every tenant's progress (admin).", "content": { "application/json": { "schema": { "$ref": "#/components/schemas/Stats" } } } },
          "401": { "$ref": "#/components/responses/Unauthorized" }, "403": { "$ref": "#/components/responses/Forbidden" },
          "429": { "$ref": "#/components/responses/RateLimited" }, "503": { "$ref": "#/components/responses/Unavailable" }
        }
      }
    },
    "/": {
      "get": {
        "security": [],
        "responses": {
          "200": { "description": "The dashboard: one self-contained HTML page (public; it holds no data and asks for a key when its data routes need one).", "content": { "text/html": { "schema": { "type": "string" } } } }
        }
      }
    },
    "/metrics": {
      "get": {
        "responses": {
          "200": { "description": "Every sluice_ metric in Prometheus text format (admin once keys exist).", "content": { "text/plain": { "schema": { "type": "string" } } } },
          "401": { "$ref": "#/components/responses/Unauthorized" }, "403": { "$ref": "#/components/responses/Forbidden" },
          "404": { "$ref": "#/components/responses/NotFound" },
          "429": { "$ref": "#/components/responses/RateLimited" }, "503": { "$ref": "#/components/responses/Unavailable" }
        }
      }
    },
    "/v1/dead-letters": {
      "get": {
        "parameters": [
          { "name": "tenant", "in": "query", "required": false, "schema": { "type": "string", "pattern": "^[A-Za-z0-9_-][A-Za-z0-9._-]{0,63}$" } },
          { "name": "limit", "in": "query", "required": false, "description": "Only the newest this many, newest first (otherwise all, by tenant and document).", "schema": { "type": "integer", "minimum": 1, "maximum": 10000 } }
        ],
        "responses": {
          "200": { "description": "Documents that failed for good, with the reason (and the service's answer). A tenant key sees its tenant's only.", "content": { "application/json": { "schema": {
            "type": "object", "required": ["deadLetters"],
            "properties": { "deadLetters": { "type": "array", "items": { "type": "object",
              "required": ["id", "tenant", "docId", "revision", "attempts", "reason", "since"],
              "properties": { "id": { "type": "string", "description": "tenant:docId" }, "tenant": { "type": "string" }, "docId": { "type": "string" },
                "revision": { "type": "integer" }, "attempts": { "type": "integer" }, "reason": { "type": "string" }, "since": { "type": "string" } } } } } } } } },
          "400": { "$ref": "#/components/responses/BadRequest" }, "401": { "$ref": "#/components/responses/Unauthorized" },
          "403": { "$ref": "#/components/responses/Forbidden" }, "429": { "$ref": "#/components/responses/RateLimited" },
          "503": { "$ref": "#/components/responses/Unavailable" }
        }
      }
    },
    "/v1/dead-letters/{id}/retry": {
      "parameters": [{ "$ref": "#/components/parameters/deadLetterId" }],
      "post": {
        "responses": {
          "202": { "description": "Queued again with a fresh attempt count.", "content": { "application/json": { "schema": { "$ref": "#/components/schemas/DeadLetterAction" } } } },
          "400": { "$ref": "#/components/responses/BadRequest" }, "401": { "$ref": "#/components/responses/Unauthorized" },
          "403": { "$ref": "#/components/responses/Forbidden" }, "404": { "$ref": "#/components/responses/NotFound" },
          "429": { "$ref": "#/components/responses/RateLimited" }, "503": { "$ref": "#/components/responses/Unavailable" }
        }
      }
    },
    "/v1/dead-letters/{id}": {
      "parameters": [{ "$ref": "#/components/parameters/deadLetterId" }],
      "delete": {
        "responses": {
          "200": { "description": "Dropped: the failed change is gone, the document keeps what is indexed.", "content": { "application/json": { "schema": { "$ref": "#/components/schemas/DeadLetterAction" } } } },
          "400": { "$ref": "#/components/responses/BadRequest" }, "401": { "$ref": "#/components/responses/Unauthorized" },
          "403": { "$ref": "#/components/responses/Forbidden" }, "404": { "$ref": "#/components/responses/NotFound" },
          "429": { "$ref": "#/components/responses/RateLimited" }, "503": { "$ref": "#/components/responses/Unavailable" }
        }
      }
    },
    "/v1/search": {
      "post": {
        "requestBody": { "required": true, "content": { "application/json": { "schema": {
          "type": "object", "required": ["tenant", "query"],
          "properties": { "tenant": { "type": "string", "pattern": "^[A-Za-z0-9_-][A-Za-z0-9._-]{0,63}$" }, "query": { "type": "string", "minLength": 1, "maxLength": 10000, "pattern": "\\S" }, "k": { "type": "integer", "minimum": 1, "maximum": 1000 },
            "filter": { "type": "object", "description": "Only chunks of documents whose meta.attributes hold every given value.",
              "properties": { "attributes": { "type": "object", "maxProperties": 32, "propertyNames": { "maxLength": 256 }, "additionalProperties": { "type": "string", "maxLength": 4096 } } } } } } } } },
        "responses": {
          "200": { "description": "The top k chunks.", "content": { "application/json": { "schema": {
            "type": "object", "required": ["results"],
            "properties": { "results": { "type": "array", "items": { "type": "object", "required": ["tenant", "docId", "ordinal", "score", "text"],
              "properties": { "tenant": { "type": "string" }, "docId": { "type": "string" }, "ordinal": { "type": "integer" }, "score": { "type": "number" }, "text": { "type": "string" },
                "headingPath": { "type": "array", "items": { "type": "string" }, "description": "The headings above the chunk's start, outermost first; absent when none." },
                "page": { "type": "integer", "description": "The PDF page the chunk's text comes from, when one; else pages." }, "pages": { "type": "array", "items": { "type": "integer" } },
                "slide": { "type": "integer", "description": "The slide the chunk's text comes from, when one; else slides." }, "slides": { "type": "array", "items": { "type": "integer" } },
                "sheet": { "type": "string", "description": "The sheet the chunk's text comes from, when one; else sheets." }, "sheets": { "type": "array", "items": { "type": "string" } } } } } } } } } },
          "400": { "$ref": "#/components/responses/BadRequest" }, "415": { "$ref": "#/components/responses/UnsupportedMediaType" }, "401": { "$ref": "#/components/responses/Unauthorized" },
          "403": { "$ref": "#/components/responses/Forbidden" }, "413": { "$ref": "#/components/responses/TooLarge" },
          "429": { "$ref": "#/components/responses/RateLimited" }, "503": { "$ref": "#/components/responses/Unavailable" }
        }
      }
    }
  }
}
"""#
}
