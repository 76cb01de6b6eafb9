"""The HTTP API's requests (chat, investigate, Kubernaut sessions, Robusta chat), run on queue `chat`."""
