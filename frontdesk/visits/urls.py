"""Front-desk screens: today's check-in list, the flow board, metrics (ids and dates in URLs only)."""

from django.urls import path

from frontdesk.visits import views

app_name = "visits"

urlpatterns = [
    path("", views.today, name="today"),
    path("board/", views.board, name="board"),
    path("board/changes/", views.board_changes, name="board_changes"),
    path("running-late/", views.running_late, name="running_late"),
    path("metrics/", views.metrics, name="metrics"),
    path("appointments/<int:pk>/check-in/", views.check_in, name="check_in"),
    path("appointments/<int:pk>/check-in/undo/", views.check_in_undo, name="check_in_undo"),
    path("appointments/<int:pk>/flow/", views.card, name="card"),
    path("appointments/<int:pk>/flow/move/", views.move, name="move"),
]
