"""The order of the example gallery: from the course's first exercise onwards."""

ORDER = [
    "demo.py",
    "plot_sine_cosine_shapes.py",
    "plot_noisy_sine_course_recipe.py",
    "plot_sine_recursive_forecast.py",
    "plot_damped_oscillator.py",
    "plot_metrics_persistence_tuning.py",
    "plot_training_control.py",
    "plot_airline_forecast.py",
    "plot_global_forecast.py",
    "plot_promotion_covariates.py",
    "plot_forecast_intervals.py",
    "plot_tabular_comparison.py",
    "plot_italy_power_classification.py",
    "plot_echo_state_network.py",
    "plot_hidden_states.py",
    "plot_text_sequences.py",
    "plot_save_and_deploy.py",
    "plot_prediction_service.py",
    "plot_device_selection.py",
    "plot_scaling_out.py",
]


class GalleryOrder:
    """sphinx-gallery sort key: the files of ``ORDER`` first, then by name."""

    def __init__(self, src_dir):
        self.src_dir = src_dir

    def __call__(self, filename):
        rank = ORDER.index(filename) if filename in ORDER else len(ORDER)
        return rank, filename
