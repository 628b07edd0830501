"""The message log and the front desk's follow-up tasks (ids in URLs only)."""

from django.urls import path

from frontdesk.notifications import views

app_name = "notifications"

urlpatterns = [
    path("messages/", views.message_log, name="log"),
    path("tasks/", views.task_list, name="tasks"),
    path("tasks/count/", views.task_count, name="task_count"),
    path("tasks/<int:pk>/claim/", views.task_claim, name="task_claim"),
    path("tasks/<int:pk>/complete/", views.task_complete, name="task_complete"),
]
