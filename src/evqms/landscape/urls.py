from django.urls import path

from evqms.landscape import views

app_name = "landscape"
urlpatterns = [
    path("", views.index, name="index"),
    path("trials/", views.trials, name="trials"),
    path("trials.csv", views.trials_csv, name="trials-csv"),
    path("trials/<nct:nct_id>/", views.trial_detail, name="trial-detail"),
    path("trials/<nct:nct_id>/override/", views.trial_override, name="trial-override"),
    path("clinics/", views.clinics, name="clinics"),
    path("clinics.csv", views.clinics_csv, name="clinics-csv"),
    path("clinics/results/<int:pk>/", views.clinic_result, name="clinic-result"),
    path("clinics/results/<int:pk>/review/", views.clinic_review, name="clinic-review"),
    path("import/", views.upload, name="import"),
    path("import/trials/<int:pk>/", views.upload_trials_result, name="import-trials-result"),
    path("import/clinics/<int:pk>/", views.upload_clinics_result, name="import-clinics-result"),
]
