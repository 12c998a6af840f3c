"""The conversation core: every chat behaviour decided once, for Slack and Teams alike.

A platform hands over a :class:`~stories.conversation.context.ChatContext` (who, where) and
calls one use case: :mod:`capture` (tell, edit, delete), :mod:`browse` (search, random, read,
Home, resonate), :mod:`answers` (line-of-sight answers and what follows) or :mod:`leads` (CX
lead commands). It gets back neutral view models (:mod:`views`) to render and the effects
to carry out next (post to the stories channel, tell the storyteller, …). The words are in
:mod:`texts`, the command grammar in :mod:`commands`. Use cases are synchronous and open
their own database session; platforms call them from a worker thread.
"""
