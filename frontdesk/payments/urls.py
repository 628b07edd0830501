"""Desk payment screens (ids in URLs only)."""

from django.urls import path

from frontdesk.payments import views

app_name = "payments"

urlpatterns = [
    path("patients/<int:pk>/take/", views.take, name="take"),
    path("<int:pk>/", views.receipt, name="receipt"),
    path("<int:pk>/receipt.pdf", views.receipt_pdf, name="receipt_pdf"),
    path("<int:pk>/void-receipt.pdf", views.void_receipt_pdf, name="void_receipt_pdf"),
    path("<int:pk>/email/", views.receipt_email, name="receipt_email"),
    path("<int:pk>/void/", views.void, name="void"),
    path("<int:pk>/refund/", views.refund, name="refund"),
    path("refunds/<int:pk>/receipt.pdf", views.refund_receipt_pdf, name="refund_receipt_pdf"),
]
