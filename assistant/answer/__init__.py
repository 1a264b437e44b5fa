"""The answer pipeline: pure Python, no ORM, Channels or Celery (enforced by .importlinter).

`pipeline.answer_question` is the one entry point: the escalation gate first
(`assistant.escalation`), then a reply from the patient's record (`record_answers`), a courtesy
(`courtesy`), or an answer from approved content (`compose`, extractive; `llm`, an optional
LangChain composer whose every sentence is checked), then the outgoing safety check (`safety`).
It takes and gives plain data (`types`): what it knows of the patient, the retriever to search
with, the targets to promise; the services (`assistant.services`) build those from the database
and the settings and save what it returns. `intents` tells record questions from general ones;
`readability` and `glued_headings` are the text tools composition uses.
"""
