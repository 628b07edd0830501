"""The review queue, the indexing screen, page pictures and the chart's documents (ids only)."""

from django.urls import path

from frontdesk.documents import review_views as views

urlpatterns = [
    path("review/", views.review_queue, name="review_queue"),
    path("review/<int:segment_id>/", views.review_segment, name="review_segment"),
    path(
        "review/<int:segment_id>/patients/",
        views.review_patient_search,
        name="review_patient_search",
    ),
    path("review/<int:segment_id>/file/", views.review_file, name="review_file"),
    path("review/<int:segment_id>/split/", views.review_split, name="review_split"),
    path("review/<int:segment_id>/merge/", views.review_merge, name="review_merge"),
    path("review/<int:segment_id>/delete/", views.review_segment_delete, name="review_delete"),
    path("inbox/<int:item_id>/page/<int:index>.png", views.page_png, name="page_png"),
    path("inbox/<int:item_id>/page/<int:index>/rotate/", views.page_rotate, name="page_rotate"),
    path("inbox/<int:item_id>/page/<int:index>/delete/", views.page_delete, name="page_delete"),
    path("inbox/<int:item_id>/delete/", views.item_delete, name="item_delete"),
    path("patient/<int:patient_id>/", views.patient_documents, name="patient_documents"),
    path("document/<int:document_id>/", views.document_detail, name="document"),
    path("document/<int:document_id>/sign/", views.document_sign, name="document_sign"),
    path("document/<int:document_id>/reassign/", views.document_reassign, name="document_reassign"),
    path(
        "document/<int:document_id>/versions/",
        views.document_new_version,
        name="document_new_version",
    ),
    path(
        "document/<int:document_id>/v<int:number>/",
        views.document_version_download,
        name="document_version",
    ),
    path(
        "document/<int:document_id>/v<int:number>/page/<int:index>.png",
        views.document_page_png,
        name="document_page_png",
    ),
]

# Document work: the referral and records-release worklists and what is done from them.
urlpatterns += [
    path("work/", views.document_work, name="document_work"),
    path(
        "document/<int:document_id>/work/done/",
        views.document_work_done,
        name="document_work_done",
    ),
    path(
        "document/<int:document_id>/work/reopen/",
        views.document_work_reopen,
        name="document_work_reopen",
    ),
    path(
        "document/<int:document_id>/work/referral/",
        views.document_work_referral,
        name="document_work_referral",
    ),
    path(
        "document/<int:document_id>/work/records/<int:request_id>/received/",
        views.document_records_received,
        name="document_records_received",
    ),
]
