use crate::sim::MetricPoint;
use crate::ui::app::Topo;
use std::rc::Rc;
use yew::prelude::*;

#[derive(Properties, PartialEq)]
pub struct Props {
    pub metrics: Rc<Vec<MetricPoint>>,
    pub topo: Rc<Topo>,
}

#[function_component(MetricsPanel)]
pub fn metrics_panel(_p: &Props) -> Html {
    html! {}
}
