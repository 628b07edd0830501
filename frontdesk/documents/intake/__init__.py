"""Ways into the document inbox: the watched folder, the documents mailbox, the fax webhook.

Every arrival goes through ``documents.services.document_receive`` and is logged as one incoming
``Correspondence`` row (``records.py``) whose ``external_id`` makes a second delivery a no-op.
"""
